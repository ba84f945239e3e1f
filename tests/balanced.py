"""Two app servers behind a real HAProxy (deploy/haproxy.cfg, with a test's own ports), sharing
one throwaway PostgreSQL database and a Redis of their own: what the multi-server tests and
``make soak`` run on."""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import (
    PASSWORD,
    PRODUCTION_ENV,
    PROJECT_DIR,
    require_program,
    run_manage,
    subprocess_env,
    throwaway_postgres_database,
)
from tests.servers import HAPROXY, GunicornServer, RedisServer, TcpProxy, free_port, haproxy

ADMIN_EMAIL = "balanced@example.com"
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
    workers: int
    threads: int
    redis: RedisServer
    database_url: str  # straight to the database, never through a proxy
    # TCP proxies between HAProxy and the servers named in ``balanced_system(proxied=…)``.
    proxies: dict[str, TcpProxy] = field(default_factory=dict)
    servers: dict[str, GunicornServer] = field(default_factory=dict)

    def start(self, name: str, signing_keys: str | None = None) -> None:
        env = {**self.app_env, "JWT_SIGNING_KEYS": signing_keys or self.app_env["JWT_SIGNING_KEYS"]}
        log = self.logs / f"{name}-{len(list(self.logs.glob(f'{name}-*')))}.log"
        server = GunicornServer(
            subprocess_env(env),
            log,
            workers=self.workers,
            threads=self.threads,
            port=self.ports[name],
        )
        self.servers[name] = server.__enter__()

    def stop(self, name: str) -> None:
        """SIGTERM: gunicorn stops accepting, finishes the requests it holds, and exits."""
        self.servers.pop(name).__exit__(None, None, None)

    def worker_pids(self, name: str) -> list[int]:
        """The process ids of the worker processes of gunicorn ``name`` (its master's children)."""
        master = self.servers[name].process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

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
        return self.login_pair()["access_token"]

    def login_pair(self) -> dict:
        """A new session of the admin: the login's body (access and refresh tokens)."""
        status, _, body = call(
            f"{self.balancer}/api/auth/login/", "POST", {"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        assert status == 200, body
        return body


@contextmanager
def balanced_system(
    folder: Path,
    *,
    workers: int,
    threads: int,
    signing_keys: str,
    env: dict[str, str] | None = None,
    listener_proxy: TcpProxy | None = None,
    database_proxy: TcpProxy | None = None,
    proxied: tuple[str, ...] = (),
) -> Iterator[System]:
    """Two gunicorn instances (``workers`` processes of ``threads`` threads each) behind HAProxy
    (deploy/haproxy.cfg with this run's ports), on a throwaway PostgreSQL database and a Redis of
    their own, with the admin ``ADMIN_EMAIL``; at the end, no traceback in their logs.

    With a ``listener_proxy`` (a TcpProxy to PostgreSQL), their revocation listeners connect
    through it and every other query goes straight to the database; with a ``database_proxy``,
    every connection of theirs goes through it. HAProxy reaches the servers named in ``proxied``
    through a TcpProxy of their own (``System.proxies``), to cut."""
    require_program(HAPROXY)
    with ExitStack() as stack:
        database_url = stack.enter_context(throwaway_postgres_database("movies_balanced"))
        redis = stack.enter_context(RedisServer(folder))
        redis_url = redis.url
        app_env = {
            **PRODUCTION_ENV,
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_CACHE_KEY_PREFIX": "balanced",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_HTTPS": "false",
            "DJANGO_NUM_PROXIES": "1",  # HAProxy's X-Forwarded-For names the client
            "JWT_SIGNING_KEYS": signing_keys,
            "DJANGO_SUPERUSER_EMAIL": ADMIN_EMAIL,
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            **(env or {}),
        }
        for proxy, variable in (
            (listener_proxy, "JWT_REVOCATION_LISTEN_URL"),
            (database_proxy, "DATABASE_URL"),
        ):
            if proxy is not None:
                app_env[variable] = database_url.replace(
                    "127.0.0.1:5432", f"127.0.0.1:{proxy.port}"
                )
        # One interpreter for the three commands: each start-up costs seconds on a busy machine.
        setup = (
            "from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "call_command('createsuperuser', interactive=False); "
            "call_command('collectstatic', interactive=False, verbosity=0)"
        )
        run_manage("shell", "-c", setup, env=app_env, check=True)

        ports = {"app1": free_port(), "app2": free_port()}
        proxies = {
            name: stack.enter_context(TcpProxy(("127.0.0.1", ports[name]))) for name in proxied
        }
        seen = {name: proxies[name].port if name in proxies else ports[name] for name in ports}
        front, stats = free_port(), free_port()
        config = (
            SAMPLE_CONFIG.read_text()
            .replace("127.0.0.1:8080", f"127.0.0.1:{front}")
            .replace("127.0.0.1:8404", f"127.0.0.1:{stats}")
            .replace("127.0.0.1:8001", f"127.0.0.1:{seen['app1']}")
            .replace("127.0.0.1:8002", f"127.0.0.1:{seen['app2']}")
        )
        (folder / "haproxy.cfg").write_text(config)
        (folder / "logs").mkdir()
        system = System(
            balancer=f"http://127.0.0.1:{front}",
            stats=f"http://127.0.0.1:{stats}/stats",
            app_env=app_env,
            ports=ports,
            logs=folder / "logs",
            workers=workers,
            threads=threads,
            redis=redis,
            database_url=database_url,
            proxies=proxies,
        )
        starts = [
            threading.Thread(target=system.start, args=(name, signing_keys)) for name in ports
        ]
        for start in starts:
            start.start()
        for start in starts:
            start.join()
        assert set(system.servers) == set(ports)
        stack.callback(lambda: [system.stop(name) for name in list(system.servers)])
        stack.enter_context(
            haproxy(
                config=folder / "haproxy.cfg",
                log=folder / "haproxy.log",
                stats_url=system.stats,
            )
        )
        system.wait_until_in_rotation("app1", "app2")
        yield system
    for log in sorted(system.logs.iterdir()):
        assert "Traceback" not in log.read_text(), log.read_text()
