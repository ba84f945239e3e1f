"""Real servers for tests and the benchmark: gunicorn serving the project's WSGI application."""

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
            _wait_until_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer /healthz in 30 s:\n{log.read_text()}")
        time.sleep(0.2)
