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

import pytest

from tests.helpers import PASSWORD, PRODUCTION_ENV, run_manage, throwaway_postgres_database
from tests.servers import GunicornServer, RedisServer, TcpProxy, unreachable_redis_cache

ADMIN_EMAIL = "outage@example.com"
# What "answered quickly" means: the connect timeout (2 s) plus the request's own work.
PROMPT = 2.5


UNAVAILABLE = {"detail": "The service is temporarily unavailable. Try again later."}


@pytest.mark.django_db
def test_with_the_cache_down_logins_are_503_and_reads_keep_working(
    settings, own_cache_keys, client, api_client, admin_user, admin_client
):
    settings.CACHES = unreachable_redis_cache(own_cache_keys)
    response = api_client.post(
        "/api/auth/login/", {"email": admin_user.email, "password": PASSWORD}
    )
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
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
        status, body = self.login()
        assert status == 200, body
        return body["access_token"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outages")
    with (
        throwaway_postgres_database("movies_faults") as database_url,
        TcpProxy() as proxy,
        RedisServer(folder) as cache,
    ):
        env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": database_url,
            "REDIS_URL": cache.url,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_HTTPS": "false",
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "DJANGO_SUPERUSER_EMAIL": ADMIN_EMAIL,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            "LOGIN_THROTTLE_RATE": "1000/min",
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
            yield Stack(server, proxy, cache)
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
    assert json.loads(raw) == UNAVAILABLE


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
