"""The README's own example block, run twice in a row with bash against a real development server,
as a newcomer would paste it: so the README cannot drift from what the API does.

The server is `manage.py runserver --noreload` on a free port, with its own SQLite database, sample
catalog and development admin in a temporary folder (never the working tree).
"""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR, require_program, run_manage, subprocess_env

README = PROJECT_DIR / "README.md"
EXAMPLE = re.compile(r"<!-- readme-example -->\n```sh\n(.*?)```", re.DOTALL)
# me, the list, created, read, changed, found, the duplicate, deleted, gone, logged out, revoked.
STATUSES = ["200", "200", "201", "200", "200", "200", "400", "204", "404", "204", "401"]


def readme_examples() -> list[str]:
    blocks = EXAMPLE.findall(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no <!-- readme-example --> block"
    return blocks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def development_server(folder: Path) -> Iterator[tuple[str, str, Path]]:
    """`make run`'s steps against a database in ``folder``; yield (URL, admin password, db)."""
    database = folder / "db.sqlite3"
    secrets = folder / "dev-secrets.json"
    env = {
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEV_SECRETS_FILE": str(secrets),
    }
    for command in ("migrate", "load_sample_catalog", "ensure_dev_admin"):
        run_manage(command, env=env, check=True)
    password = json.loads(secrets.read_text())["admin_password"]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "runserver.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"{port}"],
            cwd=PROJECT_DIR,
            env=subprocess_env(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(url, server, log)
            yield url, password, database
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"runserver did not answer /healthz:\n{log.read_text()}")
        time.sleep(0.2)


def catalog(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT id, title, overview, year, rating, category, created_at, updated_at "
            "FROM movies_movie ORDER BY id"
        ).fetchall()


def run_block(block: str, *, url: str, password: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "API": url, "ADMIN_PASSWORD": password}
    env.pop("ADMIN_EMAIL", None)
    return subprocess.run(
        ["bash", "-c", block], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_program("curl")  # the README's examples use it
    with development_server(tmp_path_factory.mktemp("readme")) as running:
        yield running


def test_the_readme_examples_run_twice_and_leave_the_sample_catalog_alone(server):
    url, password, database = server
    sample = catalog(database)
    assert len(sample) >= 40

    for run in (1, 2):
        for block in readme_examples():
            result = run_block(block, url=url, password=password)
            assert result.returncode == 0, f"run {run}:\n{result.stdout}\n{result.stderr}"
            assert re.findall(r"-> (\d{3})$", result.stdout, re.MULTILINE) == STATUSES
            assert "Ya existe una película con este título y este año." in result.stdout
            assert result.stderr == ""

    # The films the examples made are gone again, and no sample film was touched.
    assert catalog(database) == sample


def test_a_wrong_password_stops_the_examples_at_the_login(server):
    url, _password, database = server
    before = catalog(database)
    result = run_block(readme_examples()[0], url=url, password="not the password")
    assert result.returncode != 0
    assert "Login failed: {'detail': " in result.stderr
    assert "Traceback" not in result.stderr
    assert "->" not in result.stdout  # nothing ran after the failed login
    assert catalog(database) == before


def test_no_password_stops_the_examples_before_any_request(server):
    url, _password, _database = server
    result = run_block(readme_examples()[0], url=url, password="")
    assert result.returncode != 0
    assert "export ADMIN_PASSWORD first" in result.stderr
    assert result.stdout == ""
