"""Revocations pushed to every worker: PostgreSQL ``LISTEN``/``NOTIFY`` (README, "Revocation").

Database triggers (migration 0003) notify channel ``accounts_revocation`` with a user's id whenever
one of their live sessions ends, however it was written; PostgreSQL delivers a notification only
if its transaction commits, in commit order. Each worker process runs one listener thread, started
on its first authenticated request (never at import, in the preloading master or in a management
command), on a connection of its own that must reach PostgreSQL directly (session mode: not
through PgBouncer's transaction pooling, where LISTEN does not work).

The listener vouches for the worker's ``SessionMemory`` while it proves it hears: every
``HEARTBEAT_SECONDS`` it notifies a channel of its own and waits to hear that beat back on the
listening connection. Notifications are delivered in commit order, so a beat heard means every
revocation committed before it was sent has been heard too; the memory is vouched for until
``VOUCH_SECONDS`` after the beat was sent, and only for beats heard within ``MAX_LAG_SECONDS``. On
each (re)connection a probe sent from the application's own database (``DATABASES``) must be
heard first: a listener pointed at another database, or through a transaction pooler where
notifications do not arrive, never vouches. A dropped, hung or lagging link, and the memory is
dropped and every request reads the database, until the listener has reconnected and hears
again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable

import psycopg
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver

from accounts.session_memory import SessionMemory

logger = logging.getLogger(__name__)

CHANNEL = "accounts_revocation"
POSTGRESQL = "django.db.backends.postgresql"
HEARTBEAT_SECONDS = 1.0
VOUCH_SECONDS = 3.0  # N: no heartbeat for this long, and the worker reads the database again
MAX_LAG_SECONDS = 0.5  # a beat heard later than this: the link lags, the memory is not vouched
RECONNECT_SECONDS = 0.5
RECENT_NOTIFICATIONS = 4096
# The libpq parameters of a DATABASES entry's OPTIONS that the listener's connection takes too.
_LIBPQ_OPTIONS = (
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
)


class RevocationListener(threading.Thread):
    """Listens on ``CHANNEL`` and makes ``memory`` forget each notified user's sessions."""

    def __init__(self, memory: SessionMemory, params: dict, probe_params: dict | None = None):
        super().__init__(name="revocation-listener", daemon=True)
        self.memory = memory
        self.params = params
        # Where the probe comes from: the application's database (by default, the same).
        self.probe_params = params if probe_params is None else probe_params
        self._stopping = threading.Event()
        self._heard = threading.Condition()
        self._position = 0  # notifications heard so far
        self._recent: deque[tuple[int, int]] = deque(maxlen=RECENT_NOTIFICATIONS)
        self._fileno: int | None = None
        memory.unread = self.unread

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as exc:
                if not self._stopping.is_set():
                    logger.warning("Revocation listener disconnected: %s", type(exc).__name__)
            self._fileno = None
            self.memory.reset(vouch_seconds=0)
            self._stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(**self.params, autocommit=True) as conn:
            beats = f"{CHANNEL}_beat_{secrets.token_hex(8)}"  # this connection's own channel
            self._bounded(conn, f"LISTEN {CHANNEL}")
            self._bounded(conn, f"LISTEN {beats}")
            self._fileno = conn.fileno()
            with psycopg.connect(**self.probe_params, autocommit=True) as probe:
                sent = time.monotonic()
                self._bounded(probe, "SELECT pg_notify(%s, 'probe')", [beats])
            try:
                in_time = self._beat_heard(conn, beats, sent)
            except TimeoutError:
                logger.warning(
                    "Revocation listener does not hear the application's database (another "
                    "database, or a transaction pooler?): every request reads its session"
                )
                raise
            # Hearing from here on: what was remembered before may have missed a revocation.
            vouch = sent + VOUCH_SECONDS - time.monotonic() if in_time else 0
            self.memory.reset(vouch_seconds=vouch)
            while not self._stopping.is_set():
                for notification in conn.notifies(timeout=HEARTBEAT_SECONDS):
                    self._apply(notification, beats)
                sent = time.monotonic()
                self._bounded(conn, "SELECT pg_notify(%s, 'beat')", [beats])
                if self._beat_heard(conn, beats, sent):
                    self.memory.vouch(sent + VOUCH_SECONDS - time.monotonic())
                else:
                    self.memory.reset(vouch_seconds=0)  # lagging: read the database meanwhile

    def _beat_heard(self, conn: psycopg.Connection, beats: str, sent: float) -> bool:
        """Apply what arrives until this connection's beat does; whether it came in time. Not
        heard within ``VOUCH_SECONDS``: the link is down, and the loop reconnects."""
        for notification in conn.notifies(timeout=VOUCH_SECONDS):
            if notification.channel == beats:
                return time.monotonic() - sent <= MAX_LAG_SECONDS
            self._apply(notification, beats)
        raise TimeoutError("no heartbeat")

    def _apply(self, notification: psycopg.Notify, beats: str) -> None:
        payload = notification.payload
        if notification.channel == beats:
            return  # a late beat
        if payload.isascii() and payload.isdecimal():
            self._heard_user(int(payload))
        else:  # not one of ours: nothing to forget, and no reason to reconnect
            logger.warning("Revocation listener ignored a notification it does not understand")

    def _bounded(self, conn: psycopg.Connection, sql: str, params: list | None = None) -> None:
        """Run ``sql``; a link that stays connected but does not answer within ``VOUCH_SECONDS``
        is cut (psycopg has no client-side timeout), so the loop reconnects."""
        watchdog = threading.Timer(VOUCH_SECONDS, _shut_down, args=(conn.fileno(),))
        watchdog.start()
        try:
            conn.execute(sql, params)
        finally:
            watchdog.cancel()

    def unread(self) -> bool:
        """Whether bytes wait on the listener's socket: a notification this worker has received
        but not yet applied (its thread waits for the interpreter). A poll, not a read."""
        fileno = self._fileno
        if fileno is None:
            return False  # disconnected: the memory does not vouch anyway
        poller = select.poll()  # not select(): no limit on the descriptor's number
        poller.register(fileno, select.POLLIN)
        return bool(poller.poll(0))

    def _heard_user(self, user_id: int) -> None:
        self.memory.forget_user(user_id)
        with self._heard:
            self._position += 1
            self._recent.append((self._position, user_id))
            self._heard.notify_all()

    def position(self) -> int:
        """How many notifications this listener has heard: a mark for ``wait_for``."""
        with self._heard:
            return self._position

    def wait_for(self, user_ids: set[int], *, since: int, timeout: float) -> bool:
        """Wait until a notification for each of ``user_ids`` has been heard after ``since``, at
        most ``timeout`` seconds; whether they all were (or the listener lost track of them)."""
        deadline = time.monotonic() + timeout
        with self._heard:
            while True:
                heard = [(position, user) for position, user in self._recent if position > since]
                if user_ids <= {user for _, user in heard}:
                    return True
                if self._position - since > len(heard):  # older than the recent ones kept
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._heard.wait(remaining)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=VOUCH_SECONDS + 5)


def _shut_down(fileno: int) -> None:
    # shutdown() acts on the socket, not the descriptor: the listener's blocked read wakes up.
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


def listener_params() -> dict:
    """libpq parameters of the listener's connection: ``JWT_REVOCATION_LISTEN_URL`` when set,
    else the default database's."""
    return libpq_params(settings.JWT["REVOCATION_LISTEN_DATABASE"] or settings.DATABASES["default"])


def libpq_params(database: dict) -> dict:
    """libpq parameters of a connection of the listener's to ``database`` (a DATABASES entry)."""
    params = {
        "dbname": database.get("NAME"),
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        "connect_timeout": 2,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": 10_000,
    }
    options = database.get("OPTIONS", {})
    params.update({name: options[name] for name in _LIBPQ_OPTIONS if name in options})
    params["application_name"] = "revocation listener"
    return {name: value for name, value in params.items() if value not in (None, "")}


class _Process:
    """This process's memory and listener; a forked child starts its own."""

    pid: int | None = None
    memory: SessionMemory | None = None
    listener: RevocationListener | None = None
    lock = threading.Lock()


def verified_sessions() -> SessionMemory | None:
    """This worker's memory of verified sessions, its listener started on the first call in this
    process; ``None`` where every request reads its session: when the listener's database is not
    PostgreSQL (SQLite has no notifications; for development only) and when
    ``JWT_SESSION_MEMORY_SIZE`` is 0. (A listener whose probe from the application's database
    is not heard never vouches: an application on SQLite with a PostgreSQL listen address reads
    every request too.)"""
    if _Process.pid == os.getpid():
        return _Process.memory
    with _Process.lock:
        if _Process.pid != os.getpid():
            size = settings.JWT["SESSION_MEMORY_SIZE"]
            listen = settings.JWT["REVOCATION_LISTEN_DATABASE"] or settings.DATABASES["default"]
            memory = listener = None
            if size > 0 and listen["ENGINE"] == POSTGRESQL:
                memory = SessionMemory(size)
                application = libpq_params(settings.DATABASES["default"])
                listener = RevocationListener(memory, libpq_params(listen), application)
                listener.start()
            _Process.memory, _Process.listener = memory, listener
            _Process.pid = os.getpid()
    return _Process.memory


def stop() -> None:
    """Stop this process's listener and forget its memory (tests, and changed settings)."""
    with _Process.lock:
        if _Process.pid == os.getpid() and _Process.listener is not None:
            _Process.listener.stop()
        _Process.pid = _Process.memory = _Process.listener = None


@receiver(setting_changed)
def _restart_on_new_settings(*, setting: str, **kwargs) -> None:
    if setting in ("JWT", "DATABASES"):
        stop()


def revocation_mark() -> int | None:
    """Taken before a write that ends sessions: ``revocation_announced`` waits for what comes
    after it. ``None`` where this process has no listener running."""
    listener = _Process.listener if _Process.pid == os.getpid() else None
    return None if listener is None else listener.position()


def revocation_announced(mark: int | None, user_ids: Iterable[int]) -> None:
    """Once the current transaction commits, forget ``user_ids``' sessions in this worker at
    once, then wait (``JWT_REVOCATION_WAIT`` at most) until this worker's listener has heard
    the revocation: every other worker's has then too, in practice. On timeout the revocation
    stands (it is committed); the wait is logged."""
    if mark is None:
        return
    listener, users = _Process.listener, set(user_ids)

    def forget_and_wait() -> None:
        for user_id in users:
            listener.memory.forget_user(user_id)
        timeout = settings.JWT["REVOCATION_WAIT"]
        if not timeout or not listener.memory.vouching():
            return
        if not listener.wait_for(users, since=mark, timeout=timeout):
            logger.warning("Revocation not heard by this worker's listener within %.3f s", timeout)

    transaction.on_commit(forget_and_wait)
