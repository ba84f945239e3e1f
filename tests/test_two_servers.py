"""Two app servers, one system: two gunicorn instances behind a real HAProxy (deploy/haproxy.cfg,
with this test's ports), sharing one throwaway PostgreSQL database and one Redis of its own.

Through the balancer: a logout one instance handled is honoured by the other, the login limit is
counted once for both, and a rolling restart of each instance in turn with a rotated signing key
fails no request of a client that keeps reading. Runs in both CI passes.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import pytest

from tests.helpers import (
    PASSWORD,
    PRODUCTION_ENV,
    PROJECT_DIR,
    require_program,
    run_manage,
    subprocess_env,
    throwaway_postgres_database,
)
from tests.servers import HAPROXY, RedisServer, free_port, gunicorn, haproxy

ADMIN_EMAIL = "balanced@example.com"
LOGIN_RATE = 6
OLD_KEY = "old:" + "old-signing-key-" * 3
NEW_KEY = "new:" + "new-signing-key-" * 3
SAMPLE_CONFIG = PROJECT_DIR / "deploy" / "haproxy.cfg"


def call(url: str, method: str = "GET", body=None, token: str | None = None):
    """One request; returns (status, the instance that answered, parsed body or None)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            status, served_by, raw = (
                response.status,
                response.headers["X-Served-By"],
                response.read(),
            )
    except urllib.error.HTTPError as error:
        status, served_by, raw = error.code, error.headers["X-Served-By"], error.read()
    return status, served_by, json.loads(raw) if raw else None


@dataclass
class System:
    balancer: str
    stats: str
    app_env: dict[str, str]
    ports: dict[str, int]
    logs: Path
    servers: dict[str, ExitStack] = field(default_factory=dict)

    def start(self, name: str, signing_keys: str) -> None:
        stack = ExitStack()
        env = subprocess_env({**self.app_env, "JWT_SIGNING_KEYS": signing_keys})
        log = self.logs / f"{name}-{len(list(self.logs.glob(f'{name}-*')))}.log"
        stack.enter_context(gunicorn(env=env, log=log, workers=1, threads=2, port=self.ports[name]))
        self.servers[name] = stack

    def stop(self, name: str) -> None:
        """SIGTERM: gunicorn stops accepting, finishes the requests it holds, and exits."""
        self.servers.pop(name).close()

    def balancer_states(self) -> dict[str, str]:
        with urllib.request.urlopen(f"{self.stats};csv", timeout=5) as response:
            rows = csv.DictReader(io.StringIO(response.read().decode().lstrip("# ")))
            return {row["svname"]: row["status"] for row in rows if row["pxname"] == "app"}

    def wait_until_in_rotation(self, *names: str) -> None:
        for _ in range(150):
            states = self.balancer_states()
            if all(states.get(name) == "UP" for name in names):
                return
            threading.Event().wait(0.1)
        raise AssertionError(f"HAProxy never saw {names} up: {self.balancer_states()}")

    def login(self) -> str:
        status, _, body = call(
            f"{self.balancer}/api/auth/login/", "POST", {"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        assert status == 200, body
        return body["access_token"]


@pytest.fixture
def system(tmp_path):
    require_program(HAPROXY)
    with ExitStack() as stack:
        database_url = stack.enter_context(throwaway_postgres_database("movies_two_servers"))
        redis_url = stack.enter_context(RedisServer(tmp_path)).url
        app_env = {
            **PRODUCTION_ENV,
            "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_CACHE_KEY_PREFIX": "two-servers",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_HTTPS": "false",
            "DJANGO_NUM_PROXIES": "1",  # HAProxy's X-Forwarded-For names the client
            "LOGIN_THROTTLE_RATE": f"{LOGIN_RATE}/min",
            "JWT_SIGNING_KEYS": OLD_KEY,
            "DJANGO_SUPERUSER_EMAIL": ADMIN_EMAIL,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        # One interpreter for both commands: each start-up costs seconds on a busy machine.
        setup = (
            "from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "call_command('createsuperuser', interactive=False)"
        )
        run_manage("shell", "-c", setup, env=app_env, check=True)

        ports = {"app1": free_port(), "app2": free_port()}
        front, stats = free_port(), free_port()
        config = (
            SAMPLE_CONFIG.read_text()
            .replace("127.0.0.1:8080", f"127.0.0.1:{front}")
            .replace("127.0.0.1:8404", f"127.0.0.1:{stats}")
            .replace("127.0.0.1:8001", f"127.0.0.1:{ports['app1']}")
            .replace("127.0.0.1:8002", f"127.0.0.1:{ports['app2']}")
        )
        (tmp_path / "haproxy.cfg").write_text(config)
        (tmp_path / "logs").mkdir()
        system = System(
            balancer=f"http://127.0.0.1:{front}",
            stats=f"http://127.0.0.1:{stats}/stats",
            app_env=app_env,
            ports=ports,
            logs=tmp_path / "logs",
        )
        starts = [threading.Thread(target=system.start, args=(name, OLD_KEY)) for name in ports]
        for start in starts:
            start.start()
        for start in starts:
            start.join()
        assert set(system.servers) == set(ports)
        stack.callback(lambda: [system.stop(name) for name in list(system.servers)])
        stack.enter_context(
            haproxy(
                config=tmp_path / "haproxy.cfg",
                log=tmp_path / "haproxy.log",
                stats_url=system.stats,
            )
        )
        system.wait_until_in_rotation("app1", "app2")
        yield system
    for log in sorted(system.logs.iterdir()):
        assert "Traceback" not in log.read_text(), log.read_text()


def test_two_instances_behind_haproxy_behave_as_one_system(system):
    me = f"{system.balancer}/api/auth/me/"

    # A logout handled by one instance is refused by the other on the next request.
    token = system.login()
    status, _, _ = call(f"{system.balancer}/api/auth/logout/", "POST", token=token)
    assert status == 204
    answers = [call(me, token=token)[:2] for _ in range(4)]
    assert {served_by for _, served_by in answers} == {"app1", "app2"}
    assert {status for status, _ in answers} == {401}

    # A rolling restart with a rotated key fails no request of a steady client.
    old_token = system.login()
    statuses: list[tuple[int, str]] = []
    stop = threading.Event()

    def steady_client():
        while not stop.is_set():
            try:
                statuses.append(call(f"{system.balancer}/api/movies/", token=old_token)[:2])
            except OSError as error:  # a connection the balancer dropped counts as a failure
                statuses.append((0, repr(error)))

    client = threading.Thread(target=steady_client)
    client.start()
    try:
        for name in ("app1", "app2"):
            before = len(statuses)
            system.stop(name)
            system.start(name, f"{NEW_KEY},{OLD_KEY}")
            system.wait_until_in_rotation(name)
            assert len(statuses) > before  # the client kept going while this one restarted
    finally:
        stop.set()
        client.join()
    assert {status for status, _ in statuses} == {200}, [s for s in statuses if s[0] != 200]
    assert {served_by for _, served_by in statuses} == {"app1", "app2"}

    # New tokens are signed with the new key; both kinds work on both instances.
    new_token = system.login()
    assert jwt.get_unverified_header(new_token)["kid"] == "new"
    for each_token in (old_token, new_token):
        answers = [call(me, token=each_token)[:2] for _ in range(4)]
        assert {status for status, _ in answers} == {200}
        assert {served_by for _, served_by in answers} == {"app1", "app2"}

    # The login limit is counted once for both instances, in the shared Redis: at most
    # LOGIN_RATE attempts in a window however the balancer spreads them, where two counters of
    # their own would let through twice as many. (The three logins above count too when they
    # fell in the same fixed window; on a slow machine they may not, so they are not relied on.)
    attempts = []
    for _ in range(2 * LOGIN_RATE):
        status, served_by, _ = call(
            f"{system.balancer}/api/auth/login/",
            "POST",
            {"email": ADMIN_EMAIL, "password": "a wrong guess"},
        )
        attempts.append((status, served_by))
        if status == 429:
            break
    refused = [status for status, _ in attempts[:-1]]
    assert attempts[-1][0] == 429, attempts
    assert set(refused) <= {401}, attempts
    assert len(refused) <= LOGIN_RATE, attempts
    assert {served_by for _, served_by in attempts} == {"app1", "app2"}
