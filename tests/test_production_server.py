"""The production path under load: gunicorn workers (debug off) sharing one PostgreSQL database.

Runs in both CI passes: the server has its own throwaway PostgreSQL database, whatever database
the rest of the suite uses.
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.helpers import (
    PASSWORD,
    PRODUCTION_ENV,
    TOKEN_PAIR_KEYS,
    run_manage,
    throwaway_postgres_database,
)
from tests.servers import GunicornServer

ADMIN_EMAIL = "load@example.com"


class Server:
    """The gunicorn under test, with the API requests these tests send and their database."""

    def __init__(self, gunicorn: GunicornServer, database_url: str):
        self.gunicorn = gunicorn
        self.database_url = database_url

    def fetch(self, method: str, path: str, body=None, token: str | None = None, **headers):
        """One HTTP request; returns (status, headers, body bytes)."""
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.gunicorn.fetch(method, path, body, headers, timeout=60)

    def request(self, method: str, path: str, body=None, token: str | None = None):
        """One JSON API request; returns (status, parsed body or None)."""
        status, _, raw = self.fetch(method, path, body, token)
        return status, json.loads(raw) if raw else None

    def login(self) -> str:
        return self.login_pair()["access_token"]

    def login_pair(self) -> dict:
        status, body = self.request(
            "POST", "/api/auth/login/", {"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        assert status == 200, body
        return body

    def movie_rows(self) -> int:
        with psycopg.connect(self.database_url) as connection:
            return connection.execute("SELECT count(*) FROM movies_movie").fetchone()[0]

    def clear_movies(self) -> None:
        with psycopg.connect(self.database_url) as connection:
            connection.execute("DELETE FROM movies_movie")


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    with throwaway_postgres_database("movies_load") as database_url:
        env = {
            **PRODUCTION_ENV,
            "DJANGO_STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
            "DATABASE_URL": database_url,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_HTTPS": "false",
            "LOGIN_THROTTLE_RATE": "1000/min",
            "REFRESH_THROTTLE_RATE": "1000/min",
            # A logout returns once every worker has confirmed it (or this long has passed): on
            # a loaded test machine confirmations can take longer than production's 250 ms.
            "JWT_REVOCATION_WAIT": "10000",
            "DJANGO_SUPERUSER_EMAIL": ADMIN_EMAIL,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        for command in (
            ("migrate", "--noinput", "-v", "0"),
            ("collectstatic", "--noinput", "-v", "0"),
            ("createsuperuser", "--noinput"),
        ):
            run_manage(*command, env=env, check=True)
        with GunicornServer(env, log, workers=4, threads=4) as server:
            yield Server(server, database_url)
    errors = log.read_text()
    assert "Traceback" not in errors, errors


def test_production_server_serves_admin_and_docs_assets(production_server):
    status, headers, page = production_server.fetch("GET", "/admin/login/")
    assert (status, headers["Server"], headers["X-Frame-Options"]) == (200, "gunicorn", "DENY")
    stylesheet = page.decode().split('href="', 1)[1].split('"', 1)[0]
    assert stylesheet.startswith("/static/admin/css/base.")
    status, headers, _ = production_server.fetch("GET", stylesheet)
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in headers["Cache-Control"]

    status, _, docs = production_server.fetch("GET", "/api/docs/")
    bundle = docs.decode().split('src="', 1)[1].split('"', 1)[0]
    assert bundle.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/")
    assert production_server.fetch("GET", bundle)[0] == 200


def test_long_requests_reach_the_api_and_get_its_json_answer(production_server):
    # Past gunicorn's own default limits (a 4094-byte request line, an 8190-byte header), which
    # it would refuse with a plain-text page before Django sees them (gunicorn.conf.py).
    token = production_server.login()
    status, headers, raw = production_server.fetch(
        "GET", "/api/movies/?search=" + "x" * 5_000, token=token
    )
    assert (status, headers["Content-Type"]) == (400, "application/json")
    assert list(json.loads(raw)) == ["search"]

    status, headers, raw = production_server.fetch("GET", "/api/auth/me/", token="a" * 9_000)
    body = json.loads(raw)
    assert (status, body["code"]) == (401, "token_invalid")
    assert headers["WWW-Authenticate"].endswith(f'error_description="{body["detail"]}"')


def test_200_concurrent_creates_make_exactly_200_rows(production_server):
    production_server.clear_movies()
    token = production_server.login()

    def create(number: int) -> int:
        body = {"title": f"Parallel {number}", "year": 2001, "rating": 5.5, "category": "Load"}
        return production_server.request("POST", "/api/movies/", body, token)[0]

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(create, range(200)))
    assert statuses == [201] * 200
    assert production_server.movie_rows() == 200
    status, body = production_server.request("GET", "/api/movies/?category=load", token=token)
    assert (status, body["count"]) == (200, 200)


def test_50_concurrent_creates_of_one_title_make_one_row(production_server):
    production_server.clear_movies()
    token = production_server.login()
    start = threading.Barrier(50)

    def create(_number: int):
        start.wait()
        body = {"title": "Same Film", "year": 1999, "rating": 7.0, "category": "Race"}
        return production_server.request("POST", "/api/movies/", body, token)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(create, range(50)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [400] * 49
    for status, body in results:
        if status == 400:
            assert body == {"title": ["A movie with this title and year already exists."]}
    assert production_server.movie_rows() == 1


def test_no_request_with_the_old_token_succeeds_after_logout_returns(production_server):
    token = production_server.login()
    logged_out_at = None
    stop = threading.Event()
    after_logout: list[int] = []
    before_logout: list[int] = []
    counted = threading.Condition()

    def hammer():
        while not stop.is_set():
            started = time.monotonic()
            status, _ = production_server.request("GET", "/api/auth/me/", token=token)
            with counted:
                if logged_out_at is not None and started > logged_out_at:
                    after_logout.append(status)
                else:
                    before_logout.append(status)
                counted.notify_all()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        with counted:
            assert counted.wait_for(lambda: len(before_logout) >= 16, timeout=60)
        status, _ = production_server.request("POST", "/api/auth/logout/", token=token)
        with counted:
            logged_out_at = time.monotonic()
        assert status == 204
        with counted:
            assert counted.wait_for(lambda: len(after_logout) >= 32, timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert 200 in before_logout
    assert set(after_logout) == {401}


def test_16_concurrent_logins_of_one_user_each_get_a_session(production_server):
    # Each login locks its user's row before writing the session: they queue, none deadlocks.
    start = threading.Barrier(16)

    def login(_number: int):
        start.wait()
        body = {"email": ADMIN_EMAIL, "password": PASSWORD}
        return production_server.request("POST", "/api/auth/login/", body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(login, range(16)))
    assert [status for status, _ in results] == [200] * 16, results
    tokens = [body["access_token"] for _, body in results]
    assert all(production_server.request("GET", "/api/auth/me/", token=t)[0] == 200 for t in tokens)


def test_20_concurrent_refreshes_of_one_token_make_exactly_one_new_pair(production_server):
    pair = production_server.login_pair()
    start = threading.Barrier(20)

    def refresh(_number: int):
        start.wait()
        body = {"refresh_token": pair["refresh_token"]}
        return production_server.request("POST", "/api/auth/refresh/", body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(refresh, range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * 19
    (winner,) = [body for status, body in results if status == 200]
    assert set(winner) == TOKEN_PAIR_KEYS
    for status, body in results:
        if status == 401:
            assert body["code"] == "refresh_invalid"
    # The losers were inside the grace window: the session goes on, with the winner's pair.
    assert production_server.request("GET", "/api/auth/me/", token=winner["access_token"])[0] == 200
    assert production_server.request("GET", "/api/auth/me/", token=pair["access_token"])[0] == 200
    status, renewed = production_server.request(
        "POST", "/api/auth/refresh/", {"refresh_token": winner["refresh_token"]}
    )
    assert status == 200
    assert (
        production_server.request("GET", "/api/auth/me/", token=renewed["access_token"])[0] == 200
    )


def test_conditional_writes_racing_with_one_etag_have_one_winner(production_server):
    token = production_server.login()
    body = {"title": "Contested", "year": 2011, "rating": 5.0, "category": "Race"}
    status, created = production_server.request("POST", "/api/movies/", body, token)
    assert status == 201, created
    path = f"/api/movies/{created['id']}/"
    _, headers, _ = production_server.fetch("GET", path, token=token)
    start = threading.Barrier(20)

    def write(number: int) -> tuple[int, dict]:
        start.wait()
        status, _, raw = production_server.fetch(
            "PATCH", path, {"overview": f"writer {number}"}, token, **{"If-Match": headers["ETag"]}
        )
        return status, json.loads(raw)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(write, range(20)))
    assert sorted(status for status, _ in results) == [200] + [412] * 19
    (winner,) = (body for status, body in results if status == 200)
    assert {body["code"] for status, body in results if status == 412} == {"precondition_failed"}
    assert production_server.request("GET", path, token=token)[1]["overview"] == winner["overview"]
    status, history = production_server.request("GET", f"{path}history/", token=token)
    assert [version["change"] for version in history["results"]] == ["updated", "created"]


def test_concurrent_identical_creates_with_one_key_make_one_movie(production_server):
    production_server.clear_movies()
    token = production_server.login()
    body = {"title": "Once", "year": 2012, "rating": 6.0, "category": "Race"}
    start = threading.Barrier(20)

    def create(_number: int) -> tuple[int, dict]:
        start.wait()
        status, _, raw = production_server.fetch(
            "POST", "/api/movies/", body, token, **{"Idempotency-Key": "one-key-for-all"}
        )
        return status, json.loads(raw)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(create, range(20)))
    # Those that came while the first ran are told to retry; those after it get its answer.
    assert {status for status, _ in results} <= {201, 409}
    assert {body["code"] for status, body in results if status == 409} <= {"idempotency_key_in_use"}
    created = [body for status, body in results if status == 201]
    assert created
    assert {movie["id"] for movie in created} == {created[0]["id"]}
    assert production_server.movie_rows() == 1
    # A retry once the first is done: its answer again.
    status, headers, raw = production_server.fetch(
        "POST", "/api/movies/", body, token, **{"Idempotency-Key": "one-key-for-all"}
    )
    assert (status, headers["Idempotent-Replayed"], json.loads(raw)["id"]) == (
        201,
        "true",
        created[0]["id"],
    )
