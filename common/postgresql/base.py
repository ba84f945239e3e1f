"""Django's PostgreSQL backend, with a bound on every wait for the server.

The server cancels a slow statement itself (``statement_timeout``), and the kernel notices a dead
host (keepalives); neither helps when the server, or a proxy on the way, stays connected and
stops answering: psycopg waits on the socket for ever, and the worker with it until gunicorn
kills it. Here a statement that gets no answer within ``DATABASE_WAIT["statement"]`` seconds,
or the health check of a kept connection within ``DATABASE_WAIT["health_check"]``, has its
socket shut down by a watchdog: the wait ends with an ``OperationalError``, which the API answers
with a 503 and ``Retry-After`` (common.middleware), and Django replaces the connection.
"""

import contextlib
import os
import threading
import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

from common.sockets import shut_down


class Watchdog:
    """One thread per process that shuts down the socket of a wait past its deadline. Arming and
    disarming cost a lock, not a thread: they run around every statement."""

    def __init__(self):
        self._condition = threading.Condition()
        self._waits: dict[object, tuple[float, int]] = {}  # token -> (deadline, socket)
        self._pid = None

    @contextlib.contextmanager
    def bound(self, seconds: float | None, fileno: int):
        if not seconds:
            yield
            return
        token = object()
        with self._condition:
            if self._pid != os.getpid():  # first use in this process (gunicorn forks workers)
                self._pid, self._waits = os.getpid(), {}
                threading.Thread(target=self._run, name="database-watchdog", daemon=True).start()
            self._waits[token] = (time.monotonic() + seconds, fileno)
            self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                self._waits.pop(token, None)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for token, (deadline, fileno) in list(self._waits.items()):
                    if deadline <= now:
                        del self._waits[token]
                        shut_down(fileno)
                deadlines = [deadline for deadline, _ in self._waits.values()]
                self._condition.wait(min(deadlines) - now if deadlines else None)


WATCHDOG = Watchdog()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._bounded_execute)

    def _bounded_execute(self, execute, sql, params, many, context):
        with self.wrap_database_errors:  # a lost connection has no socket: Django's error
            fileno = self.connection.fileno()
        with WATCHDOG.bound(settings.DATABASE_WAIT["statement"], fileno):
            return execute(sql, params, many, context)

    def is_usable(self) -> bool:
        if self.connection is None:
            return super().is_usable()
        try:
            fileno = self.connection.fileno()
        except psycopg.Error:  # lost (the server or a proxy dropped it, or the watchdog)
            return False
        with WATCHDOG.bound(settings.DATABASE_WAIT["health_check"], fileno):
            return super().is_usable()
