"""Django's PostgreSQL backend, with a bound on every wait for the server.

The server cancels a slow statement itself (``statement_timeout``), and the kernel notices a dead
host (keepalives); neither helps when the server, or a proxy on the way, stays connected and
stops answering: psycopg waits on the socket for ever, and the worker with it until gunicorn
kills it. Here a statement that gets no answer within ``DATABASE_WAIT["statement"]`` seconds,
or the health check of a kept connection within ``DATABASE_WAIT["health_check"]``, has its
socket shut down by a timer: the wait ends with an ``OperationalError``, which the API answers
with a 503 and ``Retry-After`` (common.middleware), and Django replaces the connection.
"""

import contextlib
import threading

from django.conf import settings
from django.db.backends.postgresql import base

from common.sockets import shut_down


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._bounded_execute)

    def _bounded_execute(self, execute, sql, params, many, context):
        with self._bounded(settings.DATABASE_WAIT["statement"]):
            return execute(sql, params, many, context)

    def is_usable(self) -> bool:
        with self._bounded(settings.DATABASE_WAIT["health_check"]):
            return super().is_usable()

    @contextlib.contextmanager
    def _bounded(self, seconds: float | None):
        if not seconds or self.connection is None:
            yield
            return
        timer = threading.Timer(seconds, shut_down, args=(self.connection.fileno(),))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
