"""Revocation pushed to every worker: two gunicorn servers of three workers each behind HAProxy,
on PostgreSQL, their revocation listeners connected through a TCP proxy the tests can slow down,
hang or cut (every other query goes straight to the database).

A session's later requests in a worker read nothing: a write that bypasses the triggers
(``session_replication_role = replica``) is not seen while the worker's listener vouches for its
memory, which is how these tests tell "remembered" from "read". Every way of ending a session is
refused by every worker as soon as the call returns; a change written in another process within
a second; a worker whose listener is cut off or hung reads the database again within
``VOUCH_SECONDS`` and catches up once the link is back.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from http.cookiejar import CookieJar

import jwt
import psycopg
import pytest

from accounts.hashers import Argon2idPasswordHasher
from accounts.revocation_listener import RECONNECT_SECONDS, VOUCH_SECONDS
from tests.balanced import System, balanced_system, call
from tests.helpers import PASSWORD, POSTGRES_SERVER, PROJECT_DIR, subprocess_env
from tests.servers import POSTGRES_ADDRESS, TcpProxy, wait_until

KEYS = "push:" + "push-signing-key-" * 3
NEW_PASSWORD = "a-Different-passphrase-9"
SPREAD = 300  # requests after each revocation, spread by the balancer over the six workers


@pytest.fixture(scope="module")
def listener_link():
    with TcpProxy(POSTGRES_ADDRESS) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def system(tmp_path_factory, listener_link):
    with balanced_system(
        tmp_path_factory.mktemp("push"),
        workers=3,
        threads=2,
        signing_keys=KEYS,
        env={
            "LOGIN_THROTTLE_RATE": "10000/min",
            "REFRESH_THROTTLE_RATE": "10000/min",
            "JWT_REFRESH_REUSE_GRACE": "0",  # a consumed refresh token presented again is theft
            "JWT_REVOCATION_WAIT": "2000",
        },
        listener_proxy=listener_link,
    ) as system:
        yield system


@pytest.fixture
def link(listener_link):
    yield listener_link
    listener_link.restore()


def database(system: System) -> psycopg.Connection:
    return psycopg.connect(system.app_env["DATABASE_URL"], autocommit=True)


def new_admin(system: System) -> str:
    """A new admin (a superuser: the admin site's actions need permissions) of the servers'
    database, with ``PASSWORD``; returns the email address."""
    email = f"push-{uuid.uuid4().hex[:8]}@example.com"
    hasher = Argon2idPasswordHasher()
    with database(system) as conn:
        conn.execute(
            "INSERT INTO accounts_user (password, is_superuser, email, is_staff, is_active, "
            "date_joined) VALUES (%s, true, %s, true, true, now())",
            [hasher.encode(PASSWORD, hasher.salt()), email],
        )
    return email


def log_in(system: System, email: str, password: str = PASSWORD) -> dict:
    status, _, body = call(
        f"{system.balancer}/api/auth/login/", "POST", {"email": email, "password": password}
    )
    assert status == 200, body
    return body


def statuses(system: System, token: str, count: int) -> list[int]:
    return [call(f"{system.balancer}/api/auth/me/", token=token)[0] for _ in range(count)]


def warm(system: System, token: str) -> None:
    """Enough requests that the balancer has sent the session to every worker, in practice."""
    assert set(statuses(system, token, 60)) == {200}


def end_silently(system: System, token: str) -> None:
    """End the token's session with the triggers off: no worker is told of it."""
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    with database(system) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE accounts_loginsession SET ended_at = now() WHERE id = %s", [sid])


def remembered_somewhere(system: System, email: str) -> bool:
    """Whether some worker serves a new session of ``email`` from its memory."""
    token = log_in(system, email)["access_token"]
    warm(system, token)
    end_silently(system, token)
    return 200 in statuses(system, token, 30)


def remembered_session(system: System) -> tuple[str, dict]:
    """A new admin and a session of theirs, once the workers are seen remembering sessions
    (after a test that cut the listeners' link, they may still be reconnecting); warmed."""
    email = new_admin(system)
    wait_until(
        lambda: remembered_somewhere(system, email),
        timeout=RECONNECT_SECONDS + VOUCH_SECONDS + 10,
        what="a worker remembers sessions",
    )
    pair = log_in(system, email)
    warm(system, pair["access_token"])
    return email, pair


def _logout(system, email, pair):
    assert call(f"{system.balancer}/api/auth/logout/", "POST", token=pair["access_token"])[0] == 204


def _logout_all(system, email, pair):
    other = log_in(system, email)["access_token"]
    assert call(f"{system.balancer}/api/auth/logout/all/", "POST", token=other)[0] == 204


def _session_delete(system, email, pair):
    other = log_in(system, email)["access_token"]
    sid = jwt.decode(pair["access_token"], options={"verify_signature": False})["sid"]
    assert call(f"{system.balancer}/api/auth/sessions/{sid}/", "DELETE", token=other)[0] == 204


def _password_change(system, email, pair):
    other = log_in(system, email)["access_token"]
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    status, _, answer = call(f"{system.balancer}/api/auth/password/", "POST", body, token=other)
    assert status == 204, answer
    assert set(statuses(system, other, 30)) == {200}  # the caller's own session goes on


def _refresh_reuse(system, email, pair):
    refresh = f"{system.balancer}/api/auth/refresh/"
    assert call(refresh, "POST", {"refresh_token": pair["refresh_token"]})[0] == 200
    assert call(refresh, "POST", {"refresh_token": pair["refresh_token"]})[0] == 401  # theft


def _admin_action(system, email, pair):
    sid = jwt.decode(pair["access_token"], options={"verify_signature": False})["sid"]
    cookies = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    browser.open(f"{system.balancer}/admin/login/", timeout=20).read()

    def post(path: str, fields: dict) -> None:
        token = next(cookie.value for cookie in cookies if cookie.name == "csrftoken")
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}, doseq=True)
        with browser.open(f"{system.balancer}{path}", data.encode(), timeout=20) as response:
            assert response.status == 200

    post("/admin/login/?next=/admin/", {"username": email, "password": PASSWORD})
    post(
        "/admin/accounts/loginsession/",
        {"action": "end_sessions", "_selected_action": [sid], "index": "0"},
    )


ENDINGS = [_logout, _logout_all, _session_delete, _password_change, _refresh_reuse, _admin_action]


@pytest.mark.parametrize("end", ENDINGS, ids=lambda end: end.__name__.strip("_"))
def test_every_worker_refuses_an_ended_session_once_the_call_returns(
    system, end: Callable[[System, str, dict], None]
):
    email, pair = remembered_session(system)
    end(system, email, pair)
    answers = statuses(system, pair["access_token"], SPREAD)
    assert answers.count(200) == 0, answers


def test_later_requests_of_a_session_read_nothing(system):
    # Ended behind the listeners' back: the workers that remember the session still serve it,
    # which they could not do if they read the database.
    _, pair = remembered_session(system)
    end_silently(system, pair["access_token"])
    answers = statuses(system, pair["access_token"], 60)
    assert answers.count(200) > 0, answers


def test_a_change_written_in_another_process_is_refused_everywhere_within_a_second(system):
    email, pair = remembered_session(system)
    token = pair["access_token"]
    change = (
        "import time; from accounts.models import User; "
        f"User.objects.filter(email={email!r}).update(is_staff=False); print(time.time())"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", change],
        cwd=PROJECT_DIR,
        env=subprocess_env(system.app_env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    committed = float(done.stdout.split()[-1])
    late = []  # answers to requests sent a second or more after the change committed
    while len(late) < SPREAD:
        sent = time.time()
        status = statuses(system, token, 1)[0]
        if sent >= committed + 1:
            late.append(status)
    assert late.count(200) == 0, late


@pytest.mark.parametrize("failure", ["hang", "cut"])
def test_a_worker_that_cannot_hear_revocations_reads_the_database(system, link, failure):
    email, pair = remembered_session(system)
    token = pair["access_token"]

    getattr(link, failure)()  # the listeners' link hangs (connected, silent) or is cut
    lost = time.monotonic()
    end_silently(system, token)  # a revocation no listener can hear
    # Within VOUCH_SECONDS of its last heartbeat every worker stops trusting its memory.
    wait_until(
        lambda: time.monotonic() > lost + VOUCH_SECONDS + 1, timeout=VOUCH_SECONDS + 2, what="N"
    )
    answers = statuses(system, token, SPREAD)
    assert answers.count(200) == 0, answers

    link.restore()  # the database is back for the listeners: they catch up, unrestarted
    email, pushed = remembered_session(system)
    _logout(system, email, pushed)
    answers = statuses(system, pushed["access_token"], SPREAD)
    assert answers.count(200) == 0, answers


def test_the_call_that_ends_a_session_waits_for_its_workers_listener(system, link):
    email, pair = remembered_session(system)
    link.delay = 0.2  # every listener hears of everything 0.2 s late (not yet "lagging")
    started = time.monotonic()
    _logout(system, email, pair)
    # It answered only once its own worker's listener had heard, 0.2 s after the commit: by then
    # the other workers' listeners, as late as it, have heard too.
    assert time.monotonic() - started >= 0.2
    answers = statuses(system, pair["access_token"], SPREAD)
    assert answers.count(200) == 0, answers


def test_each_worker_has_one_listener_connection(system):
    _, pair = remembered_session(system)
    name = system.app_env["DATABASE_URL"].rsplit("/", 1)[1]

    def listeners() -> int:
        statuses(system, pair["access_token"], 10)  # a worker starts its listener when used
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'revocation listener' AND datname = %s",
                [name],
            ).fetchone()[0]

    wait_until(lambda: listeners() >= 6, timeout=30, what="six listeners")
    assert listeners() == 6  # one per worker of the two servers, never more
