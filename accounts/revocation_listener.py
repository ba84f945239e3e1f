"""Revocations pushed to every worker: PostgreSQL ``LISTEN``/``NOTIFY``
(docs/explanation/sessions-and-revocation.md).

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

import logging
import os
import re
import select
import threading
import time
import uuid
from collections.abc import Iterable

import psycopg
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver

from accounts.session_memory import SessionMemory
from common.postgresql import ENGINES as POSTGRESQL_ENGINES
from common.sockets import shut_down

logger = logging.getLogger(__name__)

CHANNEL = "accounts_revocation"
FENCE_CHANNEL = "accounts_revocation_fence"
APPLICATION_NAME = "revocation listener"  # how pg_stat_activity lists each worker's listener
HEARTBEAT_SECONDS = 1.0
VOUCH_SECONDS = 3.0  # N: no heartbeat for this long, and the worker reads the database again
MAX_LAG_SECONDS = 0.5  # a beat heard later than this: the link lags, the memory is not vouched
RECONNECT_SECONDS = 0.5
# What a fence's reply channel looks like: a listener's own channel, nothing else.
_OWN_CHANNEL = re.compile(rf"{CHANNEL}_[0-9a-f]{{32}}")
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
        # Where probes and fences come from: the application's database (by default, the same),
        # on connections that are not listed as listeners.
        self.probe_params = {
            **(params if probe_params is None else probe_params),
            "application_name": "revocation probe",
        }
        self._stopping = threading.Event()
        # stop() writes to it, so a listener waiting for its socket wakes at once.
        self._wake_reader, self._wake_writer = os.pipe()
        self._heard = threading.Condition()
        self._position = 0  # revocations heard so far
        self._answers: dict[str, set[int]] = {}  # fence token -> backend ids of its answerers
        self._channel: str | None = None  # this connection's own channel, while connected
        self._fileno: int | None = None
        self._backend_id = 0  # the server process of its connection
        self._applying = False  # reading or applying notifications: see unread()
        memory.unread = self.unread

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(**self.params, autocommit=True) as conn:
                    self._fileno, self._backend_id = conn.fileno(), conn.info.backend_pid
                    try:
                        self._listen(conn, f"{CHANNEL}_{uuid.uuid4().hex}")
                    finally:  # before the descriptor is closed, and maybe reused
                        self._fileno = self._channel = None
                        self.memory.reset(vouch_seconds=0)
            except (psycopg.Error, OSError) as exc:
                if not self._stopping.is_set():
                    logger.warning("Revocation listener disconnected: %s", type(exc).__name__)
            self._stopping.wait(RECONNECT_SECONDS)

    def _listen(self, conn: psycopg.Connection, beats: str) -> None:
        """Listen on ``conn``; ``beats`` is its own channel, for its heartbeats and for the
        answers to its fences."""
        for channel in (CHANNEL, FENCE_CHANNEL, beats):
            self._bounded(conn, f"LISTEN {channel}")
        self._channel = beats
        with psycopg.connect(**self.probe_params) as probe:  # notifies when it commits, at exit
            sent = time.monotonic()
            self._bounded(probe, "SELECT pg_notify(%s, 'beat')", [beats])
        try:
            in_time = self._beat_heard(conn, beats, sent)
        except TimeoutError:
            logger.warning(
                "Revocation listener does not hear the application's database (another "
                "database, or a transaction pooler?): every request reads its session"
            )
            raise
        # Hearing from here on: what was remembered before may have missed a revocation.
        self.memory.reset(vouch_seconds=sent + VOUCH_SECONDS - time.monotonic() if in_time else 0)
        while not self._stopping.is_set():
            self._receive(conn, beats, HEARTBEAT_SECONDS)  # revocations only: no beat is due
            sent = time.monotonic()
            self._bounded(conn, "SELECT pg_notify(%s, 'beat')", [beats])
            if self._beat_heard(conn, beats, sent):
                self.memory.vouch(sent + VOUCH_SECONDS - time.monotonic())
            else:
                self.memory.reset(vouch_seconds=0)  # lagging: read the database meanwhile

    def _beat_heard(self, conn: psycopg.Connection, beats: str, sent: float) -> bool:
        """Apply what arrives until this connection's beat does; whether it came in time. Not
        heard within ``VOUCH_SECONDS``: the link is down, and the loop reconnects."""
        if not self._receive(conn, beats, VOUCH_SECONDS):
            raise TimeoutError
        return time.monotonic() - sent <= MAX_LAG_SECONDS

    def _receive(self, conn: psycopg.Connection, beats: str, timeout: float) -> bool:
        """Apply the notifications that arrive within ``timeout`` seconds, until this
        connection's beat does; whether it did."""
        deadline = time.monotonic() + timeout
        while True:
            # Something to read: kept by psycopg during a query of ours, or on the socket.
            if (self._applying or _readable(conn.fileno(), 0)) and self._drain(conn, beats):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                return False
            if not self._applying:
                _readable(conn.fileno(), remaining, also=self._wake_reader)

    def _drain(self, conn: psycopg.Connection, beats: str) -> bool:
        """Apply every notification received, whether an earlier query read it or it waits on
        the socket; whether this connection's beat was among them. The batch is read whole, and
        ``unread()`` says so from before psycopg takes it off the socket until every revocation
        in it is applied: a request thread never sees an empty socket while a revocation sits
        unapplied. Fences are answered last, once what came before them is applied."""
        fences: list[str] = []
        answers: list[psycopg.Notify] = []
        beats_heard: list[psycopg.Notify] = []
        self._applying = True  # set before psycopg reads: see unread()
        try:
            for note in conn.notifies(timeout=0):
                if note.channel == FENCE_CHANNEL:
                    fences.append(note.payload)
                elif note.channel != beats:
                    self._revoked(note.payload)
                elif note.payload == "beat":
                    beats_heard.append(note)
                else:
                    answers.append(note)
        finally:
            self._applying = False
        self._answered(answers)
        for fence in fences:
            self._answer(conn, fence)
        return bool(beats_heard)

    def _revoked(self, payload: str) -> None:
        if not (payload.isascii() and payload.isdecimal()):  # not one of ours: nothing to forget
            logger.warning("Revocation listener ignored a notification it does not understand")
            return
        self.memory.forget_user(int(payload))
        with self._heard:
            self._position += 1

    def _answer(self, conn: psycopg.Connection, fence: str) -> None:
        channel, _, token = fence.partition(" ")
        if _OWN_CHANNEL.fullmatch(channel) and token.isascii() and token.isalnum():
            self._bounded(conn, "SELECT pg_notify(%s, %s)", [channel, token])
        else:
            logger.warning("Revocation listener ignored a fence it does not understand")

    def _answered(self, answers: list[psycopg.Notify]) -> None:
        """Record the answers to this listener's fences: the server process that sent each."""
        with self._heard:
            for answer in answers:
                if answer.payload in self._answers:
                    self._answers[answer.payload].add(answer.pid)
            self._heard.notify_all()

    def _bounded(self, conn: psycopg.Connection, sql: str, params: list | None = None) -> None:
        """Run ``sql``; a link that stays connected but does not answer within ``VOUCH_SECONDS``
        is cut (psycopg has no client-side timeout), so the loop reconnects."""
        watchdog = threading.Timer(VOUCH_SECONDS, shut_down, args=(conn.fileno(),))
        watchdog.start()
        self._applying = True  # what arrives meanwhile, psycopg keeps: until the next _drain
        try:
            conn.execute(sql, params)
        finally:
            watchdog.cancel()

    def unread(self) -> bool:
        """Whether this worker may hold a notification it has not applied yet: bytes wait on the
        listener's socket, or the listener is reading them (its thread may be waiting for the
        interpreter in between). The socket first: the flag is set before psycopg reads it."""
        fileno = self._fileno
        if fileno is None:
            return False  # disconnected: the memory does not vouch anyway
        return _readable(fileno, 0) or self._applying

    def position(self) -> int:
        """How many revocations this listener has heard."""
        with self._heard:
            return self._position

    def fence(self, timeout: float) -> bool:
        """Send a fence through the application's database and wait until every listener
        connected to it, this one included, has answered it; at most ``timeout`` seconds. A
        listener answers a fence once it has applied every notification before it, and
        notifications arrive in commit order: whether every worker has now applied every
        revocation committed before the call."""
        channel, token = self._channel, uuid.uuid4().hex
        if channel is None:
            return False
        with self._heard:
            self._answers[token] = set()
        try:
            # The listeners are listed in the statement that sends the fence: one that connects
            # later never held what the fence is about.
            with psycopg.connect(**self.probe_params) as conn:  # it commits (notifies) at exit
                listeners = conn.execute(
                    "SELECT pg_notify(%s, %s)::text, array(SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = %s)",
                    [FENCE_CHANNEL, f"{channel} {token}", APPLICATION_NAME],
                ).fetchone()[1]
            expected = {self._backend_id, *listeners}
            with self._heard:
                return self._heard.wait_for(lambda: expected <= self._answers[token], timeout)
        except psycopg.Error:
            return False  # the database failed after the revocation committed
        finally:
            with self._heard:
                del self._answers[token]

    def stop(self) -> None:
        if not self._stopping.is_set():  # the first call wakes the thread, and tidies after it
            self._stopping.set()
            os.write(self._wake_writer, b"!")
            self.join(timeout=VOUCH_SECONDS + 5)
            os.close(self._wake_writer)
            if not self.is_alive():
                os.close(self._wake_reader)
        self.join(timeout=VOUCH_SECONDS + 5)


def _readable(fileno: int, timeout: float, also: int | None = None) -> bool:
    """Whether bytes wait on ``fileno``, waiting up to ``timeout`` seconds for them, or for bytes
    on ``also``."""
    poller = select.poll()  # not select(): no limit on the descriptor's number
    for each in (fileno, also):
        if each is not None:
            poller.register(each, select.POLLIN)
    return any(each == fileno for each, _ in poller.poll(timeout * 1000))


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
    params["application_name"] = APPLICATION_NAME
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
            if size > 0 and listen["ENGINE"] in POSTGRESQL_ENGINES:
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


def revocation_announced(user_ids: Iterable[int]) -> None:
    """Once the current transaction commits, forget ``user_ids``' sessions in this worker at
    once, then wait (``JWT_REVOCATION_WAIT`` at most) until every worker's listener has applied
    the revocation (``RevocationListener.fence``). On timeout the revocation stands (it is
    committed); the wait is logged."""
    listener = _Process.listener if _Process.pid == os.getpid() else None
    if listener is None:
        return
    users = set(user_ids)

    def forget_and_wait() -> None:
        for user_id in users:
            listener.memory.forget_user(user_id)
        timeout = settings.JWT["REVOCATION_WAIT"]
        if timeout and not listener.fence(timeout):
            logger.warning("Revocation not confirmed by every worker within %.3f s", timeout)

    transaction.on_commit(forget_and_wait)
