import os
import socket
import time

import pytest
from django.db import connection


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
