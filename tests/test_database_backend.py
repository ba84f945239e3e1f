import os
import socket
import time

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_suite_runs_on_the_database_that_database_url_names():
    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_postgresql_cancels_a_statement_after_five_seconds_by_default():
    if connection.vendor != "postgresql":
        assert "options" not in connection.settings_dict["OPTIONS"]
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("5s",)


def test_the_watchdog_ends_a_wait_past_its_bound_and_no_other():
    from common.postgresql.base import Watchdog

    watchdog = Watchdog()
    left, right = socket.socketpair()
    with left, right:
        right.sendall(b"x")
        with watchdog.bound(5, left.fileno()):
            assert left.recv(1) == b"x"  # answered in time: nothing happens
        started = time.monotonic()
        with watchdog.bound(0.2, left.fileno()):
            assert left.recv(1) == b""  # nobody answers: the socket is shut down
        assert 0.2 <= time.monotonic() - started < 5
    left, right = socket.socketpair()
    with left, right, watchdog.bound(0.2, left.fileno()):
        pass  # disarmed before its deadline: the socket stays open
    left, right = socket.socketpair()
    with left, right:
        time.sleep(0.3)  # past where the earlier, disarmed deadline was
        right.sendall(b"y")
        assert left.recv(1) == b"y"


def test_postgresql_goes_through_the_bounded_backend():
    if connection.vendor == "postgresql":
        assert connection.settings_dict["ENGINE"] == "common.postgresql"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_connection_the_server_dropped_is_an_operational_error_then_closed_quietly():
    # A connection of its own, ended by the server (a restart, a proxy that drops it).
    other = connection.copy()
    try:
        other.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [other.connection.info.backend_pid])
        for _ in range(2):  # Django's error (a 503 for a view), not the driver's, every time
            with pytest.raises(OperationalError), other.cursor() as cursor:
                cursor.execute("SELECT 1")
        # What Django runs as each request starts and ends: it must close it, and raise nothing.
        other.close_if_unusable_or_obsolete()
        assert other.connection is None
        with other.cursor() as cursor:  # and the next request gets a new connection
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        other.close()
