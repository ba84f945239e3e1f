"""Real servers for tests and the benchmark: gunicorn serving the project's WSGI application, and
the Redis and HAProxy that several instances of it share."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
HAPROXY = "/usr/sbin/haproxy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    *, env: dict[str, str], log: Path, workers: int, threads: int = 1, port: int | None = None
) -> Iterator[str]:
    """Serve ``config.wsgi`` on a loopback port with exactly ``env``; yield the base URL once
    ``/healthz`` answers, and stop the server on exit.

    The server's output goes to ``log``, a file: nobody reads a pipe while a test runs, and a
    full one would block every worker that logs.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until(lambda: _answers(f"{url}/healthz"), server, log, "gunicorn")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def redis_server(*, log: Path) -> Iterator[str]:
    """A throwaway Redis (no persistence) on a free loopback port; yields its URL."""
    port = free_port()
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [
                *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until(lambda: _answers_ping(port), server, log, "redis-server")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=30)


def _answers_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


@contextmanager
def haproxy(*, config: Path, log: Path, stats_url: str) -> Iterator[None]:
    """HAProxy in the foreground with ``config``; returns once its stats page answers."""
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            _wait_until(lambda: _answers(stats_url), server, log, "haproxy")
            yield
        finally:
            server.terminate()
            server.wait(timeout=30)


def _answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2):
        return True


def _wait_until(ready, server: subprocess.Popen, log: Path, name: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer in 30 s:\n{log.read_text()}")
        time.sleep(0.1)
