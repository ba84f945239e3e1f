"""Dependency outages are answered, not crashed, and the service recovers by itself.

First in-process with a Redis that is down; then for real: gunicorn with production settings
reaches its own throwaway PostgreSQL database through a TCP proxy that the tests cut and
restore, and a Redis of its own that the tests stop and start. Runs in both CI passes, whatever
database the rest of the suite uses.
"""

import json
import re
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

import psycopg
import pytest
import redis

from tests.helpers import PASSWORD, PRODUCTION_ENV, run_manage, throwaway_postgres_database
from tests.servers import GunicornServer, RedisServer, TcpProxy, unreachable_redis_cache

ADMIN_EMAIL = "outage@example.com"
# What "answered quickly" means: the connect timeout (2 s) plus the request's own work.
PROMPT = 2.5
STATEMENT_TIMEOUT = 1  # seconds (DATABASE_STATEMENT_TIMEOUT, 5 by default)


UNAVAILABLE = "service_unavailable"


@pytest.mark.django_db
def test_with_the_cache_down_logins_are_503_and_reads_keep_working(
    settings, own_cache_keys, client, api_client, admin_user, admin_client
):
    settings.CACHES = unreachable_redis_cache(own_cache_keys)
    response = api_client.post(
        "/api/auth/login/", {"email": admin_user.email, "password": PASSWORD}
    )
    assert (response.status_code, response.json()["code"]) == (503, UNAVAILABLE)
    assert int(response["Retry-After"]) > 0

    page = client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert (page.status_code, int(page["Retry-After"]) > 0) == (503, True)
    assert "temporarily unavailable" in page.text
    assert "_auth_user_id" not in client.session

    assert admin_client.get("/api/movies/").status_code == 200
    assert admin_client.get("/api/auth/me/").json()["email"] == admin_user.email


@dataclass
class Stack:
    server: GunicornServer
    database: TcpProxy
    cache: RedisServer
    cache_link: TcpProxy  # what the server reaches Redis through
    database_url: str  # the database itself, not through the proxy

    def call(self, method, path, body=None, token=None, headers=None):
        """One request; returns (status, headers, body, seconds taken)."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        status, response_headers, raw = self.server.fetch(method, path, body, headers)
        return status, response_headers, raw, time.monotonic() - started

    def login(self, address_hint: str = "") -> tuple[int, dict]:
        status, _, raw, _ = self.call(
            "POST", "/api/auth/login/", {"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        return status, json.loads(raw)

    def token(self) -> str:
        return self.pair()["access_token"]

    def pair(self) -> dict:
        status, body = self.login()
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outages")
    with (
        throwaway_postgres_database("movies_faults") as database_url,
        TcpProxy() as proxy,
        RedisServer(folder) as cache,
        TcpProxy(("127.0.0.1", cache.port)) as cache_link,
    ):
        env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{cache_link.port}/0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_HTTPS": "false",
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "DJANGO_SUPERUSER_EMAIL": ADMIN_EMAIL,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            "LOGIN_THROTTLE_RATE": "1000/min",
            "DATABASE_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT),
        }
        for command in (
            ("migrate", "--noinput", "-v", "0"),
            ("collectstatic", "--noinput", "-v", "0"),
            ("createsuperuser", "--noinput"),
        ):
            run_manage(*command, env=env, check=True)
        through_proxy = database_url.replace(":5432/", f":{proxy.port}/")
        log = folder / "gunicorn.log"
        with GunicornServer({**env, "DATABASE_URL": through_proxy}, log) as server:
            yield Stack(server, proxy, cache, cache_link, database_url)
            pid = server.process.pid
        # Only the middleware's warnings: no request crashed, nothing was restarted.
        errors = log.read_text()
        assert "Traceback" not in errors, errors
        assert pid == server.process.pid


def assert_unavailable_json(status, headers, raw, seconds):
    assert status == 503, raw
    assert seconds < PROMPT
    assert int(headers["Retry-After"]) > 0
    assert headers["Content-Type"] == "application/json"
    assert json.loads(raw)["code"] == UNAVAILABLE


def _cookies(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _admin_login_form(stack) -> dict[str, str]:
    """The admin login page's CSRF cookie and form token, as a browser gets them."""
    status, headers, raw, _ = stack.call("GET", "/admin/login/")
    assert status == 200
    cookie = _cookies(headers)["csrftoken"]
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', raw).group(1)
    return {"cookie": cookie, "token": form_token.decode()}


def _admin_login(stack, csrf: dict[str, str]):
    """Submit the admin login form as a browser does; returns ``Stack.call``'s answer."""
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf["token"],
            "username": ADMIN_EMAIL,
            "password": PASSWORD,
            "next": "/admin/",
        }
    )
    return stack.call(
        "POST",
        "/admin/login/",
        form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf['cookie']}",
        },
    )


def test_database_outage_is_503_json_then_recovers_without_a_restart(stack):
    token = stack.token()
    assert stack.call("GET", "/api/movies/", token=token)[0] == 200
    status, headers, _, _ = _admin_login(stack, _admin_login_form(stack))
    assert status == 302
    admin_session = {"Cookie": f"sessionid={_cookies(headers)['sessionid']}"}
    assert stack.call("GET", "/admin/", headers=admin_session)[0] == 200

    stack.database.cut()
    for method, path, body in [
        ("GET", "/api/movies/", None),
        ("GET", "/api/movies/1/", None),
        ("POST", "/api/movies/", {"title": "Heat", "year": 1995, "rating": 8.3, "category": "X"}),
        ("GET", "/api/auth/me/", None),
        ("POST", "/api/auth/logout/", None),
    ]:
        assert_unavailable_json(*stack.call(method, path, body, token=token))
    assert_unavailable_json(
        *stack.call("POST", "/api/auth/login/", {"email": ADMIN_EMAIL, "password": PASSWORD})
    )
    # The documentation needs no database: it keeps being served.
    status, headers, _, seconds = stack.call("GET", "/api/docs/")
    assert (status, headers["Content-Type"], seconds < PROMPT) == (
        200,
        "text/html; charset=utf-8",
        True,
    )

    status, headers, raw, seconds = stack.call("GET", "/admin/", headers=admin_session)
    assert (status, int(headers["Retry-After"]) > 0, seconds < PROMPT) == (503, True, True)
    assert headers["Content-Type"].startswith("text/html")
    assert b"temporarily unavailable" in raw

    status, headers, raw, seconds = stack.call("GET", "/healthz")
    assert (status, headers["Retry-After"], seconds < PROMPT) == (503, "5", True)
    assert json.loads(raw) == {"status": "unavailable", "database": "unavailable", "cache": "ok"}

    stack.database.restore()
    status, _, raw, _ = stack.call("GET", "/api/movies/", token=token)
    assert (status, json.loads(raw)["count"]) == (200, 0)
    assert stack.call("GET", "/api/docs/")[0] == 200
    assert stack.call("GET", "/admin/", headers=admin_session)[0] == 200
    assert stack.login()[0] == 200
    status, _, raw, _ = stack.call("GET", "/healthz")
    assert (status, json.loads(raw)) == (200, {"status": "ok", "database": "ok", "cache": "ok"})


def test_a_database_that_accepts_but_never_answers_is_503_within_the_connect_timeout(stack):
    token = stack.token()
    stack.database.cut(stall=True)
    try:
        assert_unavailable_json(*stack.call("GET", "/api/movies/", token=token))
        status, _, raw, seconds = stack.call("GET", "/healthz")
        assert (status, seconds < PROMPT, json.loads(raw)["database"]) == (503, True, "unavailable")
    finally:
        stack.database.restore()
    assert stack.call("GET", "/api/movies/", token=token)[0] == 200


# A kept connection's health check may wait 3 s, then a new connection 2 s (common/postgresql).
HUNG_BOUND = 6.5


def test_a_database_that_stops_answering_on_kept_connections_is_503_within_seconds(stack):
    token = stack.token()
    for _ in range(6):  # every worker keeps a connection (CONN_MAX_AGE)
        assert stack.call("GET", "/api/movies/", token=token)[0] == 200
    stack.database.hang()  # connected, silent: a hung server, or a proxy on the way
    try:
        for path in ("/api/movies/", "/api/movies/", "/healthz"):
            status, headers, raw, seconds = stack.call("GET", path, token=token)
            assert (status, headers["Retry-After"]) == (503, "5"), raw
            assert seconds < HUNG_BOUND, (path, seconds)
            assert json.loads(raw)
    finally:
        stack.database.restore()
    # The same workers (the fixture checks that none was restarted) answer again.
    assert stack.call("GET", "/api/movies/", token=token)[0] == 200


def test_a_statement_stuck_behind_a_lock_is_cancelled_and_answered_503(stack):
    token = stack.token()
    with psycopg.connect(stack.database_url) as holder:
        # Another client holds the catalog locked, as a long migration or a stuck job would.
        holder.execute("LOCK TABLE movies_movie IN ACCESS EXCLUSIVE MODE")
        status, headers, raw, seconds = stack.call("GET", "/api/movies/", token=token)
        assert seconds >= STATEMENT_TIMEOUT
        assert_unavailable_json(status, headers, raw, seconds)
        # Only what waits on the lock is refused: the token's session read did not.
        assert stack.call("GET", "/api/auth/me/", token=token)[0] == 200
        holder.rollback()
    assert stack.call("GET", "/api/movies/", token=token)[0] == 200


def test_cache_outage_refuses_logins_with_503_and_keeps_reads_working(stack):
    token = stack.token()
    csrf = _admin_login_form(stack)

    stack.cache.stop()
    try:
        status, _, raw, seconds = stack.call("GET", "/healthz")
        assert (status, seconds < PROMPT) == (200, True)
        assert json.loads(raw) == {"status": "degraded", "database": "ok", "cache": "unavailable"}

        status, _, raw, _ = stack.call("GET", "/api/movies/", token=token)
        assert (status, json.loads(raw)["count"]) == (200, 0)
        assert stack.call("GET", "/api/auth/me/", token=token)[0] == 200

        assert_unavailable_json(
            *stack.call("POST", "/api/auth/login/", {"email": ADMIN_EMAIL, "password": PASSWORD})
        )
        status, headers, raw, seconds = _admin_login(stack, csrf)
        assert (status, int(headers["Retry-After"]) > 0, seconds < PROMPT) == (503, True, True)
        assert b"temporarily unavailable" in raw
    finally:
        stack.cache.start()

    assert stack.login()[0] == 200
    status, _, raw, _ = stack.call("GET", "/healthz")
    assert (status, json.loads(raw)["status"]) == (200, "ok")


# Redis commands that make it refuse writes while still answering, and undo that.
REDIS_REFUSING_WRITES = {
    "out of memory": (("CONFIG", "SET", "maxmemory", "1"), ("CONFIG", "SET", "maxmemory", "0")),
    "read-only replica": (("REPLICAOF", "127.0.0.1", "1"), ("REPLICAOF", "NO", "ONE")),
}


@pytest.mark.parametrize("fault", REDIS_REFUSING_WRITES)
def test_a_cache_that_answers_but_refuses_writes_is_an_outage_too(stack, fault):
    refuse, undo = REDIS_REFUSING_WRITES[fault]
    token = stack.token()
    cache = redis.Redis.from_url(stack.cache.url)
    cache.execute_command(*refuse)
    try:
        status, _, raw, _ = stack.call("GET", "/healthz")
        assert (status, json.loads(raw)) == (
            200,
            {"status": "degraded", "database": "ok", "cache": "unavailable"},
        )
        assert_unavailable_json(
            *stack.call("POST", "/api/auth/login/", {"email": ADMIN_EMAIL, "password": PASSWORD})
        )
        assert stack.call("GET", "/api/movies/", token=token)[0] == 200
    finally:
        cache.execute_command(*undo)
    assert stack.login()[0] == 200


def _reconnect_workers(stack) -> None:
    """Drop every kept database connection; each worker opens a new one on its next request."""
    stack.database.cut()
    stack.database.restore()


def test_a_database_that_refuses_writes_is_503_for_writes_while_reads_work(stack):
    token = stack.token()
    name = stack.database_url.rsplit("/", 1)[1]
    with psycopg.connect(stack.database_url, autocommit=True) as admin:
        # As a standby does, or a primary after `default_transaction_read_only`.
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        _reconnect_workers(stack)
        try:
            movie = {"title": "Heat", "year": 1995, "rating": 8.3, "category": "Crime"}
            assert_unavailable_json(*stack.call("POST", "/api/movies/", movie, token=token))
            assert_unavailable_json(
                *stack.call(
                    "POST", "/api/auth/login/", {"email": ADMIN_EMAIL, "password": PASSWORD}
                )
            )
            assert stack.call("GET", "/api/movies/", token=token)[0] == 200
        finally:
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    _reconnect_workers(stack)
    assert stack.login()[0] == 200


def test_a_path_cannot_forge_a_line_of_the_outage_log(stack):
    token = stack.token()
    stack.database.cut()
    try:
        status = stack.call("GET", "/api/auth/sessions/%0aFORGED%20CRITICAL%20line/", token=token)[
            0
        ]
    finally:
        stack.database.restore()
    assert status == 503
    log = stack.server.log.read_text()
    assert "/api/auth/sessions/\\nFORGED CRITICAL line/: dependency unavailable" in log
    assert not any(line.startswith("FORGED") for line in log.splitlines())


def test_logout_everywhere_cut_half_way_changes_nothing(stack):
    mine, other = stack.pair(), stack.pair()
    token = mine["access_token"]
    # The first statement (the user's token version) goes through; the connection is lost
    # before the sessions are ended.
    stack.database.cut_on(b'UPDATE "accounts_loginsession" SET "ended_at"')
    try:
        assert_unavailable_json(*stack.call("POST", "/api/auth/logout/all/", token=token))
    finally:
        stack.database.restore()
    # All or nothing: nothing happened, so the client's retry is what logs out everywhere.
    assert stack.call("GET", "/api/auth/me/", token=token)[0] == 200
    assert stack.call("POST", "/api/auth/logout/all/", token=token)[0] == 204
    refresh = {"refresh_token": other["refresh_token"]}
    assert stack.call("POST", "/api/auth/refresh/", refresh)[0] == 401
    assert stack.call("GET", "/api/auth/me/", token=other["access_token"])[0] == 401
