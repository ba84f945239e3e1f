"""A worker remembers the sessions it has verified and forgets them when a revocation is pushed.

The memory's rules (bounded, expiry means "verify again", no read that raced a revocation kept,
nothing answered while the listener cannot vouch) are checked on ``SessionMemory`` with a clock
the test moves. The listener is checked in this process against PostgreSQL, in transactions that
commit, so the database's triggers notify it as they notify a production worker; the cross-worker
guarantees are in tests/test_revocation_push.py.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import authentication, revocation_listener, services
from accounts.models import EndReason, LoginSession, User
from accounts.revocation_listener import (
    APPLICATION_NAME,
    MAX_LAG_SECONDS,
    VOUCH_SECONDS,
    RevocationListener,
    libpq_params,
    listener_params,
    verified_sessions,
)
from accounts.services import session_end
from accounts.session_memory import SessionMemory, VerifiedSession
from common.sockets import shut_down
from tests.helpers import (
    PASSWORD,
    bearer_client,
    forge_token,
    login_pair,
    throwaway_postgres_database,
)
from tests.servers import RedisServer, TcpProxy, free_port, wait_until

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def entry(user_id: int = 1, *, ends_in: timedelta = timedelta(hours=1)) -> VerifiedSession:
    return VerifiedSession(
        session_id=uuid.uuid4(),
        user_id=user_id,
        email=f"user{user_id}@example.com",
        is_staff=True,
        is_superuser=False,
        ends_at=NOW + ends_in,
    )


def vouched_memory(size: int = 10) -> tuple[SessionMemory, Clock]:
    clock = Clock()
    memory = SessionMemory(size, clock=clock)
    memory.reset(vouch_seconds=3)
    return memory, clock


def test_a_remembered_session_is_recalled_until_it_expires():
    memory, _ = vouched_memory()
    session = entry(ends_in=timedelta(minutes=5))
    assert memory.remember(session, memory.ticket())
    assert memory.recall(session.session_id, now=NOW) == session
    # Past its remembered expiry it is verified again (a refresh may have moved it), not refused.
    assert memory.recall(session.session_id, now=NOW + timedelta(minutes=5)) is None
    assert len(memory) == 0


def test_the_memory_is_bounded_and_forgets_the_least_recently_used():
    memory, _ = vouched_memory(size=3)
    first, second, third, fourth = (entry(user_id=n) for n in range(4))
    for session in (first, second, third):
        memory.remember(session, memory.ticket())
    memory.recall(first.session_id, now=NOW)  # used: the least recently used is now second
    memory.remember(fourth, memory.ticket())
    assert len(memory) == 3
    assert memory.recall(second.session_id, now=NOW) is None
    for kept in (first, third, fourth):
        assert memory.recall(kept.session_id, now=NOW) == kept


def test_a_read_that_raced_a_revocation_is_not_remembered():
    memory, _ = vouched_memory()
    session = entry(user_id=7)
    ticket = memory.ticket()  # taken before the database read
    memory.forget_user(99)  # any notification during the read, even another user's
    assert not memory.remember(session, ticket)
    assert memory.recall(session.session_id, now=NOW) is None
    assert memory.remember(session, memory.ticket())


def test_a_read_that_raced_a_reconnection_is_not_remembered():
    memory, _ = vouched_memory()
    ticket = memory.ticket()
    memory.reset(vouch_seconds=3)
    assert not memory.remember(entry(), ticket)


def test_a_revocation_forgets_every_session_of_that_user_only():
    memory, _ = vouched_memory()
    mine, also_mine, theirs = entry(user_id=1), entry(user_id=1), entry(user_id=2)
    for session in (mine, also_mine, theirs):
        memory.remember(session, memory.ticket())
    memory.forget_user(1)
    assert memory.recall(mine.session_id, now=NOW) is None
    assert memory.recall(also_mine.session_id, now=NOW) is None
    assert memory.recall(theirs.session_id, now=NOW) == theirs


def test_without_a_recent_heartbeat_nothing_is_recalled_or_kept():
    memory, clock = vouched_memory()
    session = entry()
    memory.remember(session, memory.ticket())
    clock.now += 2.9
    assert memory.recall(session.session_id, now=NOW) == session
    clock.now += 0.1  # three seconds without a heartbeat: cannot vouch
    assert not memory.vouching()
    assert memory.recall(session.session_id, now=NOW) is None
    assert memory.ticket() is None
    assert not memory.remember(session, None)
    # What it held was dropped: a heartbeat later does not bring it back.
    memory.vouch(3)
    assert memory.recall(session.session_id, now=NOW) is None
    assert len(memory) == 0


def test_a_heartbeat_extends_what_the_memory_vouches_for():
    memory, clock = vouched_memory()
    session = entry()
    memory.remember(session, memory.ticket())
    clock.now += 2
    memory.vouch(3)
    clock.now += 2
    assert memory.recall(session.session_id, now=NOW) == session


def test_a_lost_connection_drops_the_memory_at_once():
    memory, _ = vouched_memory()
    session = entry()
    ticket = memory.ticket()
    memory.remember(session, ticket)
    memory.reset(vouch_seconds=0)
    assert not memory.vouching()
    assert memory.recall(session.session_id, now=NOW) is None
    assert not memory.remember(session, ticket)


def test_a_memory_never_vouched_for_answers_nothing():
    memory = SessionMemory(10, clock=Clock())
    assert memory.ticket() is None
    assert memory.recall(uuid.uuid4(), now=NOW) is None
    assert memory.unread() is False  # no listener yet: nothing is on its way in


def test_a_reconnection_vouches_for_the_time_it_is_given():
    memory, clock = vouched_memory()
    memory.reset(vouch_seconds=0.5)
    assert memory.vouching()
    session = entry()
    assert memory.remember(session, memory.ticket())
    clock.now += 0.4
    assert memory.recall(session.session_id, now=NOW) == session
    clock.now += 0.1
    assert not memory.vouching()


@pytest.mark.django_db
def test_sqlite_or_a_size_of_zero_reads_every_request(settings):
    settings.JWT = {**settings.JWT, "SESSION_MEMORY_SIZE": 10}
    if connection.vendor != "postgresql":
        assert verified_sessions() is None
    settings.JWT = {**settings.JWT, "SESSION_MEMORY_SIZE": 0}
    assert verified_sessions() is None


# What every listener connection sets: bounded (an unreachable database is found out in seconds,
# as the other queries do) and named, so an operator can see it in pg_stat_activity.
LISTENER_CONNECTION = {
    "connect_timeout": 2,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 10_000,
    "application_name": "revocation listener",
}


def test_the_listener_connects_to_its_own_address_when_one_is_set(settings):
    settings.JWT = {
        **settings.JWT,
        "REVOCATION_LISTEN_DATABASE": {
            "NAME": "movies",
            "USER": "listener",
            "HOST": "10.0.0.5",
            "PORT": 6432,
            "OPTIONS": {"sslmode": "require", "pool": True},
        },
    }
    assert listener_params() == {
        "dbname": "movies",
        "user": "listener",
        "host": "10.0.0.5",
        "port": 6432,
        "sslmode": "require",  # "pool" is not a libpq parameter: left out
        **LISTENER_CONNECTION,
    }


def test_the_listener_takes_its_databases_connection_options(settings):
    database = {
        "NAME": "movies",
        "USER": "app",
        "PASSWORD": "secret",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {"connect_timeout": 7, "keepalives_idle": 30, "options": "-c x=1"},
    }
    settings.JWT = {**settings.JWT, "REVOCATION_LISTEN_DATABASE": database}
    params = listener_params()
    assert params["password"] == "secret"
    assert "host" not in params  # empty: libpq's default (the local socket)
    assert "port" not in params
    assert "options" not in params  # the statement timeout is for requests, not the listener
    assert (params["connect_timeout"], params["keepalives_idle"]) == (7, 30)


# In-process against PostgreSQL (marked: the SQLite pass leaves them out): the listener thread
# of this process, on the test database.


@pytest.fixture
def memory(settings, transactional_db):
    settings.JWT = {**settings.JWT, "SESSION_MEMORY_SIZE": 100, "REVOCATION_WAIT": 2.0}
    memory = verified_sessions()
    wait_until(memory.vouching, timeout=10, what="the listener vouches")
    yield memory
    revocation_listener.stop()


@pytest.fixture
def staff(transactional_db) -> User:
    return User.objects.create_user("memory@example.com", PASSWORD, is_staff=True)


def remembered(memory: SessionMemory, session_id: uuid.UUID) -> bool:
    return memory.recall(session_id, now=datetime.now(UTC)) is not None


@pytest.mark.postgres
def test_a_sessions_later_requests_read_nothing(memory, staff, make_movie, settings, tmp_path):
    with RedisServer(tmp_path) as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url,
            }
        }
        stats = redis.Redis.from_url(server.url)
        movie = make_movie()
        client = bearer_client(login_pair(staff).access.value)
        detail, listing = f"/api/movies/{movie.pk}/", "/api/movies/"
        with CaptureQueriesContext(connection) as first:
            assert client.get(detail).status_code == 200
        assert any("accounts_loginsession" in query["sql"] for query in first.captured_queries)
        # The view's own queries alone: detail, the movie; list, count and page.
        for path, view_queries in ((detail, 1), (listing, 2)):
            for _ in range(3):
                commands_before = int(stats.info("stats")["total_commands_processed"])
                with CaptureQueriesContext(connection) as later:
                    assert client.get(path).status_code == 200
                commands = int(stats.info("stats")["total_commands_processed"]) - commands_before
                sql = [query["sql"] for query in later.captured_queries]
                assert len(sql) == view_queries, sql
                assert all("accounts_" not in statement for statement in sql), sql
                assert commands == 1  # the INFO above itself: no cache command from the request


@pytest.mark.postgres
def test_ending_a_session_is_heard_and_forgotten_before_the_call_answers(memory, staff):
    pair = login_pair(staff)
    client = bearer_client(pair.access.value)
    assert client.get("/api/auth/me/").status_code == 200
    assert remembered(memory, pair.session_id)
    assert client.post("/api/auth/logout/").status_code == 204
    assert not remembered(memory, pair.session_id)
    assert client.get("/api/auth/me/").status_code == 401


@pytest.mark.postgres
def test_a_change_written_elsewhere_is_pushed_here(memory, staff):
    pair = login_pair(staff)
    client = bearer_client(pair.access.value)
    assert client.get("/api/auth/me/").status_code == 200
    # Another connection (another process, as far as PostgreSQL can tell) deactivates the user.
    with psycopg.connect(**listener_params(), autocommit=True) as other:
        other.execute("UPDATE accounts_user SET is_active = false WHERE id = %s", [staff.pk])
    assert revocation_listener._Process.listener.fence(timeout=2)
    assert not remembered(memory, pair.session_id)
    assert client.get("/api/auth/me/").status_code == 401


@pytest.mark.postgres
def test_a_revocation_during_the_first_read_is_not_remembered(memory, staff, monkeypatch):
    pair = login_pair(staff)
    read = authentication.session_get_with_user

    def read_then_revoke(*, session_id):
        row = read(session_id=session_id)  # live when read ...
        with psycopg.connect(**listener_params(), autocommit=True) as other:
            other.execute(  # ... and ended by another connection before it is remembered
                "UPDATE accounts_loginsession SET ended_at = now() WHERE id = %s", [session_id]
            )
        assert revocation_listener._Process.listener.fence(timeout=2)
        return row

    monkeypatch.setattr(authentication, "session_get_with_user", read_then_revoke)
    client = bearer_client(pair.access.value)
    assert client.get("/api/auth/me/").status_code == 200  # the read was live: this request
    assert not remembered(memory, pair.session_id)
    monkeypatch.setattr(authentication, "session_get_with_user", read)
    assert client.get("/api/auth/me/").status_code == 401  # the next one reads it again


@pytest.mark.postgres
def test_refresh_and_login_are_not_revocations(memory, staff, api_client):
    pair = login_pair(staff)
    assert bearer_client(pair.access.value).get("/api/auth/me/").status_code == 200
    listener = revocation_listener._Process.listener
    mark = listener.position()
    refreshed = api_client.post("/api/auth/refresh/", {"refresh_token": pair.refresh.value})
    assert refreshed.status_code == 200
    login = api_client.post("/api/auth/login/", {"email": staff.email, "password": PASSWORD})
    assert login.status_code == 200
    assert listener.fence(timeout=2)
    assert listener.position() == mark
    assert remembered(memory, pair.session_id)


@pytest.mark.postgres
def test_log_out_everywhere_notifies_once_per_user(memory, staff):
    sessions = [login_pair(staff) for _ in range(3)]
    client = bearer_client(sessions[0].access.value)
    listener = revocation_listener._Process.listener
    mark = listener.position()
    assert client.post("/api/auth/logout/all/").status_code == 204
    assert listener.position() == mark + 1  # the call answered once every listener applied it
    assert set(LoginSession.objects.values_list("end_reason", flat=True)) == {EndReason.LOGOUT_ALL}


@contextmanager
def listener_through_a_proxy(settings, **jwt) -> Iterator[tuple[SessionMemory, TcpProxy]]:
    """This process's memory, its listener connected to the test database through a TcpProxy."""
    database = settings.DATABASES["default"]
    with TcpProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))) as proxy:
        settings.JWT = {
            **settings.JWT,
            "SESSION_MEMORY_SIZE": 100,
            **jwt,
            "REVOCATION_LISTEN_DATABASE": {**database, "HOST": "127.0.0.1", "PORT": proxy.port},
        }
        try:
            memory = verified_sessions()
            wait_until(memory.vouching, timeout=10, what="the listener vouches")
            yield memory, proxy
        finally:
            revocation_listener.stop()


@pytest.mark.postgres
def test_a_worker_whose_listener_is_cut_off_reads_every_request(settings, transactional_db, staff):
    with listener_through_a_proxy(settings) as (memory, proxy):
        pair = login_pair(staff)
        client = bearer_client(pair.access.value)
        assert client.get("/api/auth/me/").status_code == 200
        assert remembered(memory, pair.session_id)

        proxy.hang()  # the link stays connected but answers nothing more
        wait_until(lambda: not memory.vouching(), timeout=VOUCH_SECONDS + 2, what="no vouch")
        assert not remembered(memory, pair.session_id)
        # A revocation the listener cannot hear is read from the database.
        session_end(session_id=pair.session_id, reason=EndReason.ADMIN)
        assert client.get("/api/auth/me/").status_code == 401

        proxy.restore()
        wait_until(memory.vouching, timeout=10, what="the listener is back")
        again = login_pair(staff)
        assert bearer_client(again.access.value).get("/api/auth/me/").status_code == 200
        assert remembered(memory, again.session_id)


def test_nothing_is_recalled_or_kept_while_a_notification_waits_unread():
    memory, _ = vouched_memory()
    session = entry()
    memory.remember(session, memory.ticket())
    waiting = [True]
    memory.unread = lambda: waiting[0]
    assert memory.recall(session.session_id, now=NOW) is None
    assert memory.ticket() is None
    waiting[0] = False  # the listener has read it (and forgotten whom it names)
    assert memory.recall(session.session_id, now=NOW) == session


# The listener thread alone, on a PostgreSQL database of its own (notifications are per database,
# so tests running side by side never hear each other; one for the module, as creating and
# dropping a database takes a second); runs in both passes of .ci/run.


@pytest.fixture(scope="module")
def channel_database():
    with throwaway_postgres_database("movies_listener") as url:
        parts = urllib.parse.urlsplit(url)
        yield {
            "dbname": parts.path.lstrip("/"),
            "user": parts.username,
            "host": parts.hostname,
            "port": parts.port,
            "connect_timeout": 2,
        }


@contextmanager
def running_listener(params: dict) -> Iterator[RevocationListener]:
    listener = RevocationListener(SessionMemory(10), params)
    listener.start()
    try:
        wait_until(listener.memory.vouching, timeout=10, what="the listener vouches")
        assert isinstance(listener._fileno, int)  # what unread() polls
        # Idle and connected: nothing unread, and a boolean says so.
        wait_until(lambda: listener.unread() is False, timeout=5, what="nothing unread")
        yield listener
    finally:
        listener.stop()
    assert not listener.is_alive()


def held(memory: SessionMemory, *user_ids: int) -> list[VerifiedSession]:
    """A remembered session of each of ``user_ids``."""
    sessions = [entry(user_id=user_id) for user_id in user_ids]
    for session in sessions:
        assert memory.remember(session, memory.ticket())
    return sessions


def notify(params: dict, payload: str) -> None:
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute("SELECT pg_notify('accounts_revocation', %s)", [payload])


def test_the_listener_forgets_the_sessions_of_each_notified_user(channel_database):
    with running_listener(channel_database) as listener:
        memory = listener.memory
        mine, theirs = held(memory, 5, 6)
        mark = listener.position()
        notify(channel_database, "5")
        assert listener.fence(timeout=2)
        assert listener.position() == mark + 1
        assert memory.recall(mine.session_id, now=NOW) is None
        assert memory.recall(theirs.session_id, now=NOW) == theirs


@pytest.mark.parametrize("failure", ["hang", "cut"])
def test_the_listener_stops_vouching_when_its_link_fails_and_catches_up(
    channel_database, failure, caplog
):
    with TcpProxy(("127.0.0.1", channel_database["port"] or 5432)) as proxy:
        params = {**channel_database, "host": "127.0.0.1", "port": proxy.port}
        with running_listener(params) as listener:
            memory = listener.memory
            session = entry()
            memory.remember(session, memory.ticket())
            accepted = proxy.accepted
            getattr(proxy, failure)()
            wait_until(lambda: not memory.vouching(), timeout=VOUCH_SECONDS + 2, what="no vouching")
            assert memory.recall(session.session_id, now=NOW) is None
            if failure == "hang":
                # The watchdog cuts the hung connection: the listener tries a new one.
                wait_until(
                    lambda: proxy.accepted > accepted, timeout=VOUCH_SECONDS + 5, what="reconnect"
                )
            wait_until(lambda: listener._fileno is None, timeout=VOUCH_SECONDS + 5, what="closed")
            assert listener.unread() is False  # disconnected: nothing to poll

            # Logged as the listener's thread leaves the connection, just after closing it.
            def disconnected():
                return [m for m in caplog.messages if m.startswith("Revocation listener dis")]

            wait_until(disconnected, timeout=5, what="the disconnection logged")
            assert all(
                message.rsplit(": ", 1)[1] in {"OperationalError", "TimeoutError"}
                for message in disconnected()
            )
            proxy.restore()
            wait_until(memory.vouching, timeout=VOUCH_SECONDS + 10, what="the listener is back")
            assert len(memory) == 0  # what it held before the failure is gone
            mark = listener.position()
            notify(channel_database, "4")  # and it hears again
            assert listener.fence(timeout=2)
            assert listener.position() == mark + 1


@pytest.mark.postgres
def test_deleting_a_user_forgets_their_sessions_everywhere(memory, staff):
    pair = login_pair(staff)
    assert bearer_client(pair.access.value).get("/api/auth/me/").status_code == 200
    listener = revocation_listener._Process.listener
    mark = listener.position()
    staff.delete()  # deletes the live session with it
    assert listener.fence(timeout=2)
    assert listener.position() == mark + 1
    assert not remembered(memory, pair.session_id)


@pytest.mark.postgres
def test_a_revocation_the_listener_hears_too_late_is_logged_and_still_done(
    settings, transactional_db, staff, caplog
):
    with listener_through_a_proxy(settings, REVOCATION_WAIT=0.1) as (_, proxy):
        pair = login_pair(staff)
        client = bearer_client(pair.access.value)
        assert client.get("/api/auth/me/").status_code == 200
        proxy.delay = 0.5  # later than the 100 ms the call waits
        started = time.monotonic()
        assert client.post("/api/auth/logout/").status_code == 204
        assert time.monotonic() - started < 0.5
        assert "Revocation not confirmed by every worker within 0.100 s" in caplog.messages
        assert client.get("/api/auth/me/").status_code == 401  # forgotten here at once


@pytest.fixture
def this_process_listener(channel_database, monkeypatch, db):
    """A listener on a database of its own, installed as this process's: what a worker has."""
    with running_listener(channel_database) as listener:
        monkeypatch.setattr(revocation_listener._Process, "pid", os.getpid())
        monkeypatch.setattr(revocation_listener._Process, "memory", listener.memory)
        monkeypatch.setattr(revocation_listener._Process, "listener", listener)
        yield listener


@contextmanager
def another_worker(channel_database) -> Iterator[tuple[RevocationListener, TcpProxy]]:
    """A second worker's listener, listed as one (its application name), through a TcpProxy."""
    with TcpProxy(("127.0.0.1", channel_database["port"] or 5432)) as proxy:
        params = {
            **channel_database,
            "host": "127.0.0.1",
            "port": proxy.port,
            "application_name": APPLICATION_NAME,
        }
        with running_listener(params) as listener:
            yield listener, proxy


def test_a_revocation_is_forgotten_at_once_and_waits_for_every_worker(
    this_process_listener, channel_database, django_capture_on_commit_callbacks, caplog
):
    memory = this_process_listener.memory
    mine, theirs = entry(user_id=11), entry(user_id=12)
    for session in (mine, theirs):
        memory.remember(session, memory.ticket())
    with another_worker(channel_database) as (other, proxy):
        elsewhere = entry(user_id=11)
        other.memory.remember(elsewhere, other.memory.ticket())
        proxy.delay = 0.1  # the other worker hears, and answers, 0.1 s late
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            revocation_listener.revocation_announced([11])
            assert memory.recall(mine.session_id, now=NOW) == mine  # nothing before the commit
            notify(channel_database, "11")  # what the trigger sends, as the transaction commits
        waited = time.monotonic() - started
        assert len(callbacks) == 1
        assert memory.recall(mine.session_id, now=NOW) is None
        assert memory.recall(theirs.session_id, now=NOW) == theirs
        # Until the other worker answered (0.1 s each way), within the default 250 ms wait.
        assert other.memory.recall(elsewhere.session_id, now=NOW) is None
        assert 0.1 <= waited < 0.25
    assert not [r for r in caplog.records if r.name == "accounts.revocation_listener"]


def test_a_revocation_a_worker_does_not_confirm_in_time_is_logged(
    this_process_listener, channel_database, django_capture_on_commit_callbacks, caplog
):
    with another_worker(channel_database) as (_, proxy):
        proxy.hang()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            revocation_listener.revocation_announced([13])
        assert 0.25 <= time.monotonic() - started < 2  # JWT_REVOCATION_WAIT's default, 250 ms
        assert "Revocation not confirmed by every worker within 0.250 s" in caplog.messages


def test_a_fence_is_answered_by_every_listener_after_what_came_before_it(channel_database):
    with (
        running_listener(channel_database) as listener,
        another_worker(channel_database) as (
            other,
            proxy,
        ),
    ):
        doomed = entry(user_id=31)
        other.memory.remember(doomed, other.memory.ticket())
        proxy.delay = 0.2
        notify(channel_database, "31")
        started = time.monotonic()
        assert listener.fence(timeout=5)
        assert time.monotonic() - started >= 0.2  # it waited for the other one
        assert other.memory.recall(doomed.session_id, now=NOW) is None
        assert not listener.fence(timeout=0.1)  # the other answers too late for that


def test_a_fence_that_is_not_a_listeners_is_ignored(channel_database, caplog):
    with running_listener(channel_database) as listener:
        own = listener._channel
        for payload in (
            "accounts_user 0123456789abcdef0123456789abcdef",  # not a listener's channel
            f"{own}x 0123456789abcdef",
            f"{own} not-a-token",
            f"{own}",
        ):
            notify_fence = "SELECT pg_notify('accounts_revocation_fence', %s)"
            with psycopg.connect(**channel_database, autocommit=True) as conn:
                conn.execute(notify_fence, [payload])
        assert listener.fence(timeout=2)
        warning = "Revocation listener ignored a fence it does not understand"
        assert caplog.messages.count(warning) == 4


def test_a_fence_without_a_connection_or_a_database_fails_at_once(channel_database):
    listener = RevocationListener(SessionMemory(10), channel_database)
    assert listener.fence(timeout=5) is False  # not connected: no channel to answer on
    unreachable = {**channel_database, "host": "127.0.0.1", "port": free_port()}
    with running_listener(channel_database) as listener:
        listener.probe_params = unreachable
        started = time.monotonic()
        assert listener.fence(timeout=5) is False
        assert time.monotonic() - started < 5
        assert listener._answers == {}  # nothing left behind


def test_without_a_listener_in_this_process_nothing_waits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        revocation_listener.revocation_announced([1])
    assert callbacks == []


# The authentication class and the services with a listener of their own in this process: what
# a worker does with its memory, observable on either database (the listener's channel is on a
# PostgreSQL database of its own, so nothing the test writes is pushed to it by a trigger).


@pytest.fixture
def worker_admin(this_process_listener) -> User:
    return User.objects.create_user("worker@example.com", PASSWORD, is_staff=True)


def test_a_worker_serves_a_remembered_session_without_reading(this_process_listener, worker_admin):
    pair = login_pair(worker_admin)
    client = bearer_client(pair.access.value)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/auth/me/").status_code == 200
    assert any("accounts_loginsession" in query["sql"] for query in first.captured_queries)
    with CaptureQueriesContext(connection) as later:
        response = client.get("/api/auth/me/")
    assert later.captured_queries == []
    assert response.json() == {"id": worker_admin.pk, "email": worker_admin.email, "is_staff": True}
    # Ended without a notification (nothing told this worker): served from memory all the same.
    LoginSession.objects.filter(pk=pair.session_id).update(ended_at=datetime.now(UTC))
    assert client.get("/api/auth/me/").status_code == 200
    this_process_listener.memory.forget_user(worker_admin.pk)  # what a notification does
    assert client.get("/api/auth/me/").status_code == 401


def test_each_request_gets_a_fresh_user_of_the_remembered_values(
    this_process_listener, worker_admin, rf
):
    worker_admin.is_superuser = True
    worker_admin.save()
    token = login_pair(worker_admin).access.value
    request = rf.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    authenticator = authentication.JWTAuthentication()
    read, _ = authenticator.authenticate(request)
    with CaptureQueriesContext(connection) as captured:
        first, claims = authenticator.authenticate(request)
        second, _ = authenticator.authenticate(request)
    assert captured.captured_queries == []
    assert claims.user_id == worker_admin.pk
    assert first is not second
    assert first is not read
    for user in (first, second):
        assert user.get_deferred_fields() == {"password", "last_login", "date_joined"}
        assert (user._state.db, user._state.adding) == ("default", False)
        with CaptureQueriesContext(connection) as reads:
            values = (user.pk, user.email, user.is_staff, user.is_superuser, user.is_active)
        assert reads.captured_queries == []  # remembered, not loaded
        assert values == (worker_admin.pk, worker_admin.email, True, True, True)
    assert first.check_password(PASSWORD)  # a deferred field loads on first use


def test_a_remembered_session_is_still_checked_against_the_token(
    this_process_listener, worker_admin, caplog
):
    other = User.objects.create_user("other.worker@example.com", PASSWORD, is_staff=True)
    pair = login_pair(worker_admin)
    assert bearer_client(pair.access.value).get("/api/auth/me/").status_code == 200
    sid = str(pair.session_id)
    renamed = forge_token(worker_admin, sid=sid, email="else@example.com")
    for token, user in ((forge_token(other, sid=sid), other), (renamed, worker_admin)):
        response = bearer_client(token).get("/api/auth/me/")
        assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
        # Logged with the user the token names, as a refusal read from the database is.
        reason = response.json()["detail"]
        assert f"Bearer token rejected for user {user.pk}: {reason}" in caplog.messages


def test_a_remembered_session_past_its_expiry_is_read_again(this_process_listener, worker_admin):
    pair = login_pair(worker_admin)
    ends = datetime.now(UTC) + timedelta(minutes=1)  # well before the access token expires
    LoginSession.objects.filter(pk=pair.session_id).update(idle_expires_at=ends)
    client = bearer_client(pair.access.value)
    assert client.get("/api/auth/me/").status_code == 200
    with time_machine.travel(ends + timedelta(seconds=1), tick=False):
        response = client.get("/api/auth/me/")
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


def test_ending_sessions_forgets_their_users_here_once_committed(
    this_process_listener, worker_admin, django_capture_on_commit_callbacks
):
    memory = this_process_listener.memory
    other = User.objects.create_user("bystander@example.com", PASSWORD, is_staff=True)
    mine, also_mine, theirs = login_pair(worker_admin), login_pair(worker_admin), login_pair(other)
    for pair in (mine, also_mine, theirs):
        assert bearer_client(pair.access.value).get("/api/auth/me/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert (
            services.sessions_end(
                sessions=LoginSession.objects.filter(pk=mine.session_id), reason=EndReason.ADMIN
            )
            == 1
        )
        assert remembered(memory, mine.session_id)  # until the commit
    assert len(callbacks) == 1
    assert not remembered(memory, mine.session_id)
    assert not remembered(memory, also_mine.session_id)  # every session of that user
    assert remembered(memory, theirs.session_id)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.session_end(session_id=mine.session_id, reason=EndReason.ADMIN)  # ended already
    assert callbacks == []


def test_unread_means_bytes_wait_on_the_listeners_socket():
    listener = RevocationListener(SessionMemory(10), {})
    assert listener.memory.unread == listener.unread
    assert listener.position() == 0  # notifications heard so far
    assert not listener.unread()  # not connected: the memory does not vouch anyway
    ours, server = socket.socketpair()
    with ours, server:
        listener._fileno = ours.fileno()
        assert not listener.unread()
        started = time.monotonic()
        assert not listener.unread()
        assert time.monotonic() - started < 0.5  # a look, not a wait: it runs on every request
        server.sendall(b"A notification")
        wait_until(listener.unread, timeout=5, what="bytes arrive")
        ours.recv(100)
        assert not listener.unread()


def test_a_listener_that_does_not_hear_the_applications_database_never_vouches(
    channel_database, caplog
):
    # Listening on one database while the application writes to another (a wrong
    # JWT_REVOCATION_LISTEN_URL, or a transaction pooler): the probe is never heard.
    with throwaway_postgres_database("movies_elsewhere") as elsewhere:
        parts = urllib.parse.urlsplit(elsewhere)
        application = {**channel_database, "dbname": parts.path.lstrip("/")}
        listener = RevocationListener(SessionMemory(10), channel_database, application)
        listener.start()
        try:
            warning = (
                "Revocation listener does not hear the application's database (another "
                "database, or a transaction pooler?): every request reads its session"
            )
            wait_until(
                lambda: warning in caplog.messages,
                timeout=VOUCH_SECONDS + 5,
                what="the listener says it hears nothing",
            )
            assert not listener.memory.vouching()
            assert listener.memory.ticket() is None
        finally:
            listener.stop()


def test_a_notification_the_listener_does_not_understand_changes_nothing(channel_database, caplog):
    with running_listener(channel_database) as listener:
        memory = listener.memory
        session = entry(user_id=3)
        memory.remember(session, memory.ticket())
        mark = listener.position()
        notify(channel_database, "not a user id")
        notify(channel_database, "\u0663")  # ARABIC-INDIC DIGIT THREE: not our user 3
        notify(channel_database, "7")
        assert listener.fence(timeout=2)
        assert listener.position() == mark + 1
        assert memory.recall(session.session_id, now=NOW) == session  # no reconnection either
        warning = "Revocation listener ignored a notification it does not understand"
        assert caplog.messages.count(warning) == 2


def test_a_lagging_link_is_not_vouched_for(channel_database):
    with TcpProxy(("127.0.0.1", channel_database["port"] or 5432)) as proxy:
        params = {**channel_database, "host": "127.0.0.1", "port": proxy.port}
        with running_listener(params) as listener:
            proxy.delay = MAX_LAG_SECONDS + 0.2  # each beat is heard, but too late
            wait_until(
                lambda: not listener.memory.vouching(),
                timeout=VOUCH_SECONDS + 5,
                what="a lagging link stops vouching",
            )
            proxy.delay = 0
            wait_until(listener.memory.vouching, timeout=VOUCH_SECONDS + 5, what="back in time")


@pytest.mark.postgres
def test_a_live_session_whose_id_changes_is_a_revocation(memory, staff):
    pair = login_pair(staff)
    listener = revocation_listener._Process.listener
    mark = listener.position()
    with psycopg.connect(**listener_params(), autocommit=True) as other:
        other.execute(
            "UPDATE accounts_loginsession SET id = %s WHERE id = %s",
            [uuid.uuid4(), pair.session_id],
        )
    assert listener.fence(timeout=2)
    assert listener.position() == mark + 1


@pytest.fixture
def no_revocation_wait(settings):
    settings.JWT = {**settings.JWT, "REVOCATION_WAIT": 0}


def test_a_revocation_wait_of_zero_waits_for_nothing_and_logs_nothing(
    no_revocation_wait, this_process_listener, django_capture_on_commit_callbacks, caplog
):
    memory = this_process_listener.memory
    session = entry(user_id=21)
    memory.remember(session, memory.ticket())
    with django_capture_on_commit_callbacks(execute=True):
        revocation_listener.revocation_announced([21])
    assert memory.recall(session.session_id, now=NOW) is None  # forgotten here all the same
    assert not [r for r in caplog.records if r.name == "accounts.revocation_listener"]


def test_another_process_does_not_use_this_ones_listener(
    this_process_listener, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(revocation_listener._Process, "pid", os.getpid() + 1)  # as after fork()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        revocation_listener.revocation_announced([1])
    assert callbacks == []


def test_stopping_ends_this_processs_listener_and_forgets_it(channel_database):
    listener = RevocationListener(SessionMemory(10), channel_database)
    revocation_listener._Process.pid = os.getpid()
    revocation_listener._Process.memory = listener.memory
    revocation_listener._Process.listener = listener
    listener.start()
    revocation_listener.stop()
    assert not listener.is_alive()
    assert revocation_listener._Process.pid is None
    assert revocation_listener._Process.memory is None
    assert revocation_listener._Process.listener is None


def test_without_a_listen_address_the_listener_uses_the_default_database(settings):
    settings.JWT = {**settings.JWT, "REVOCATION_LISTEN_DATABASE": None}
    assert listener_params() == libpq_params(settings.DATABASES["default"])
    assert libpq_params({"NAME": "movies"}) == {"dbname": "movies", **LISTENER_CONNECTION}


def test_a_read_that_raced_a_reconnection_and_a_revocation_is_not_remembered():
    memory, _ = vouched_memory()
    ticket = memory.ticket()
    memory.reset(vouch_seconds=3)
    memory.forget_user(1)
    assert not memory.remember(entry(), ticket)


def test_an_application_that_cannot_notify_gets_a_listener_that_never_vouches(
    settings, channel_database, caplog
):
    # The application on this run's database, the listen address on PostgreSQL: the probe sent
    # from the application's database is never heard (on SQLite it cannot even be sent).
    listen = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": channel_database["dbname"],
        "USER": channel_database["user"],
        "HOST": channel_database["host"],
        "PORT": channel_database["port"],
    }
    settings.JWT = {**settings.JWT, "SESSION_MEMORY_SIZE": 7, "REVOCATION_LISTEN_DATABASE": listen}
    try:
        memory = verified_sessions()
        assert memory.size == 7
        assert verified_sessions() is memory  # once per process
        listener = revocation_listener._Process.listener
        assert listener.is_alive()
        assert listener.params == {**libpq_params(listen)}
        if connection.vendor != "postgresql":
            wait_until(
                lambda: "Revocation listener disconnected" in caplog.text,
                timeout=10,
                what="the probe fails",
            )
            assert not memory.vouching()
        revocation_listener._Process.pid = os.getpid() + 1  # as a forked child sees it
        child = verified_sessions()
        assert child is not memory
        assert child.size == 7
        for size, remembers in ((1, True), (0, False)):  # 0 turns the memory off
            revocation_listener.stop()
            settings.JWT = {**settings.JWT, "SESSION_MEMORY_SIZE": size}
            assert (verified_sessions() is not None) is remembers
    finally:
        revocation_listener.stop()
        listener.stop()


def test_a_heartbeat_at_the_very_end_of_the_vouched_time_still_drops_the_memory():
    memory, clock = vouched_memory()
    session = entry()
    memory.remember(session, memory.ticket())
    clock.now += 3  # the vouched time is over at this very instant
    memory.vouch(3)
    assert memory.recall(session.session_id, now=NOW) is None


def test_revocations_that_arrive_while_a_beat_is_awaited_are_applied(channel_database):
    with TcpProxy(("127.0.0.1", channel_database["port"] or 5432)) as proxy:
        params = {**channel_database, "host": "127.0.0.1", "port": proxy.port}
        with running_listener(params) as listener:
            proxy.delay = 0.2  # each beat takes 0.2 s to come back: revocations arrive meanwhile
            mark = listener.position()
            users = range(100, 130)
            paced = threading.Event()
            for user in sorted(users):  # spread over three heartbeats
                notify(channel_database, str(user))
                paced.wait(0.1)
            wait_until(lambda: listener.position() == mark + 30, timeout=10, what="all heard")
            assert listener.is_alive()


def test_a_notification_read_but_not_yet_applied_stops_the_memory_answering(channel_database):
    # The window between psycopg taking a notification off the socket and the listener thread
    # forgetting whom it names (a busy worker's request threads can hold the interpreter then):
    # the socket is empty, yet the memory must not answer from what it is about to forget.
    with running_listener(channel_database) as listener:
        memory = listener.memory
        doomed, other = held(memory, 5, 6)
        reading, release = threading.Event(), threading.Event()
        revoked = listener._revoked

        def held_up(payload: str) -> None:
            reading.set()
            release.wait(10)
            revoked(payload)

        listener._revoked = held_up
        mark = listener.position()
        notify(channel_database, "5")
        assert reading.wait(5)
        assert not revocation_listener._readable(listener._fileno, 0)  # read off the socket
        assert memory.recall(doomed.session_id, now=NOW) is None
        assert memory.recall(other.session_id, now=NOW) is None
        assert memory.ticket() is None
        release.set()
        assert listener.fence(timeout=2)
        assert listener.position() == mark + 1
        wait_until(lambda: not listener.unread(), timeout=2, what="the batch is applied")
        assert memory.recall(doomed.session_id, now=NOW) is None
        assert memory.recall(other.session_id, now=NOW) == other


def test_the_connections_probe_alone_vouches_for_the_vouched_time(channel_database, monkeypatch):
    # With the first heartbeat due after the vouched time, what vouches is the probe heard at
    # connection: the memory answers at once, for VOUCH_SECONDS after the probe was sent.
    monkeypatch.setattr(revocation_listener, "HEARTBEAT_SECONDS", VOUCH_SECONDS + 3)
    with running_listener(channel_database) as listener:
        assert listener.name == "revocation-listener"  # as a thread dump shows it
        assert listener.daemon  # a worker exits without waiting for it
        wait_until(
            lambda: not listener.memory.vouching(),
            timeout=VOUCH_SECONDS + 1,  # and the heartbeat is not due before VOUCH_SECONDS + 3
            what="the vouched time ends",
        )


def test_a_watchdog_that_fires_after_its_connection_closed_does_nothing():
    ours, _ = socket.socketpair()
    fileno = ours.fileno()
    ours.close()
    shut_down(fileno)  # no error, in the timer's thread or here
