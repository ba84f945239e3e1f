"""Real servers for tests and the benchmark: a Redis of the test's own, a TCP proxy that can
cut the database off, gunicorn running the project, and HAProxy in front of several of them.

Each is a context manager that cleans up after itself; none writes into the working tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import redis

from tests.helpers import PROJECT_DIR, require, subprocess_env

POSTGRES_ADDRESS = ("127.0.0.1", 5432)
HAPROXY = "/usr/sbin/haproxy"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str) -> None:
    """Poll ``condition`` (a process starting up: no clock to control) until true or timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.1)


def unreachable_redis_cache(key_prefix: str) -> dict:
    """``CACHES`` for a Redis that is down: a loopback port where nothing listens."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "KEY_PREFIX": key_prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


class RedisServer:
    """A redis-server of this test's own on a free loopback port, to stop and start at will."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        require(os.access(binary, os.X_OK), "redis-server")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10, what="redis-server start")

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class TcpProxy:
    """Forwards a free loopback port to ``upstream`` (PostgreSQL), until the test cuts it.

    ``cut()`` drops every open connection and refuses new ones, as a stopped server does;
    ``cut(stall=True)`` instead accepts new connections and never answers, as an unreachable
    host does; ``cut_on(pattern)`` cuts when a client sends ``pattern``, before it reaches the
    server (a connection lost in the middle of a request's work); ``hang()`` keeps every
    connection open but forwards nothing more (a hung server or proxy); ``delay`` holds what the
    server sends for that many seconds (a slow link). ``restore()`` forwards again, on the same
    port.
    """

    def __init__(self, upstream: tuple[str, int] = POSTGRES_ADDRESS):
        self.upstream = upstream
        self.port = free_port()
        self.stalled = False
        self.accepted = 0  # connections accepted so far
        self.delay = 0.0
        self.trigger: bytes | None = None
        self._flowing = threading.Event()
        self._flowing.set()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def _listen(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: cut
            with self._lock:
                self._open.add(client)
                self.accepted += 1
            if self.stalled:
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                self._drop(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.add(upstream)
            for source, target, watched in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, target, watched), daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket, watched: bool) -> None:
        try:
            while data := source.recv(65536):
                if watched and self.trigger is not None and self.trigger in data:
                    self.trigger = None
                    self.cut()
                    return
                if not watched and self.delay:
                    time.sleep(self.delay)  # the slow link under test, not a wait for an event
                self._flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        self._drop(source, target)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with self._lock:
                self._open.discard(sock)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            open_now = list(self._open)
        self._drop(*open_now)

    def cut(self, *, stall: bool = False) -> None:
        self.stalled = stall
        if not stall and self._listener is not None:
            self._drop(self._listener)
            self._listener = None
        self._drop_all()

    def cut_on(self, pattern: bytes) -> None:
        self.trigger = pattern

    def hang(self) -> None:
        self._flowing.clear()

    def restore(self) -> None:
        self.stalled = False
        self.trigger = None
        self.delay = 0.0
        self._flowing.set()
        self._drop_all()  # connections held by a stall
        if self._listener is None:
            self._listen()

    def __enter__(self) -> TcpProxy:
        self._listen()
        return self

    def __exit__(self, *exc_info) -> None:
        self.cut()


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx itself is the answer under test


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)


class GunicornServer:
    """The project under gunicorn with the given environment (production settings unless it
    says otherwise), on a free loopback port; ``fetch`` sends one HTTP request to it."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        *,
        workers: int = 2,
        threads: int = 1,
        port: int | None = None,
    ):
        self.env = env
        self.log = log
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def fetch(
        self,
        method: str,
        path: str,
        body: bytes | dict | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request, redirects not followed; returns (status, headers, body).

        A dict body is sent as JSON."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, body, headers, method=method)
        try:
            with _NO_REDIRECTS.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        try:
            return self.fetch("GET", "/healthz", timeout=5)[0] in (200, 503)
        except OSError:
            return False

    def __enter__(self) -> GunicornServer:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [
                *(str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{self.port}"),
                *("--workers", str(self.workers), "--threads", str(self.threads)),
                *("--timeout", "60"),
                "--no-control-socket",  # its default path is one per machine
            ],
            cwd=PROJECT_DIR,
            env=subprocess_env(self.env),
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: nobody reads a pipe while the tests run.
            stderr=self._log_file,
        )
        wait_until(self._answers, timeout=30, what="gunicorn start")
        return self

    def __exit__(self, *exc_info) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self._log_file.close()


@contextlib.contextmanager
def gunicorn(
    *, env: dict[str, str], log: Path, workers: int, threads: int = 1, port: int | None = None
) -> Iterator[str]:
    """A ``GunicornServer``'s base URL, for callers that send their own requests (make bench)."""
    with GunicornServer(env, log, workers=workers, threads=threads, port=port) as server:
        yield server.url


@contextlib.contextmanager
def haproxy(*, config: Path, log: Path, stats_url: str) -> Iterator[None]:
    """HAProxy in the foreground with ``config``; returns once its stats page answers."""
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            wait_until(lambda: _stats_answer(stats_url, server, log), timeout=30, what="haproxy")
            yield
        finally:
            server.terminate()
            server.wait(timeout=30)


def _stats_answer(url: str, server: subprocess.Popen, log: Path) -> bool:
    assert server.poll() is None, log.read_text()
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False
