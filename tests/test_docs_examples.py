"""Every code block of the README and the docs says how it is checked, and the runnable ones run:
so the documentation cannot drift from what the API does.

The HTML comment on the line just above a block marks it (docs/how-to/testing.md, "The
documentation's examples"):

- ``<!-- run -->``: run as written with bash, from the checkout, against a development server of
  this module's own (``API``, ``ADMIN_PASSWORD``, and the server's database and development
  secrets in the environment); it must exit 0 and print nothing on stderr.
  ``<!-- run: 200 401 -->`` also requires exactly these statuses after ``->``, in order.
- ``<!-- not-run: why -->``: not run here, for the reason given.
- ``<!-- client-example -->``: run by tests/test_generated_client.py.
- ``<!-- file: PATH -->``, ``<!-- insert: PATH after: LINE -->``, and every ``run`` block of
  docs/how-to/add-a-resource.md: applied to a copy of the repository by
  tests/test_adding_a_resource.py.

Output and text blocks (``text``, ``json``, ``http``, ``mermaid``, no info string) need no mark.
The two tutorials carry no marks: their blocks build on each other, so each tutorial runs in one
shell, as a reader would, but for its last block (key rotation needs a restarted server). Each
step's ``text`` block, its expected output, shows the statuses the step prints after ``->``.

The server is `manage.py runserver --noreload` on a free port, with its own SQLite database,
sample catalog and development admin in a temporary folder (never the working tree).
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR, require_program, run_manage, subprocess_env

DOCS = PROJECT_DIR / "docs"
TUTORIALS = (DOCS / "how-it-works.md", DOCS / "como-funciona.md")
ADD_A_RESOURCE = DOCS / "how-to" / "add-a-resource.md"
USE_THE_API = DOCS / "how-to" / "use-the-api.md"
CLIENTS = DOCS / "how-to" / "clients.md"
# The address the documentation is written for: `make run`'s.
DOCUMENTED_API = "http://127.0.0.1:8000"

RUNNABLE = {"sh", "bash", "shell", "zsh", "console", "python", "py"}
TEXT = {"", "text", "json", "http", "mermaid"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([^\s`]*)")
MARK = re.compile(r"^<!--\s*(.*?)\s*-->$")
RUN = re.compile(r"run(?::\s*(?P<statuses>\d{3}(?:\s+\d{3})*))?")
NOT_RUN = re.compile(r"not-run:\s*(?P<reason>\S.*)")
FILE = re.compile(r"file:\s*(?P<path>\S+)")
INSERT = re.compile(r"insert:\s*(?P<path>\S+)\s+after:\s*(?P<line>\S.*)")
STATUS = re.compile(r"-> (\d{3})$", re.MULTILINE)

# The catalog walk: me, the list, created, read, changed, found, the duplicate, deleted, gone,
# logged out, revoked.
WALK_STATUSES = ["200", "200", "201", "200", "200", "200", "400", "204", "404", "204", "401"]
# The tutorials: the health check; the catalog and me; no token, a malformed token, a forged one;
# a user who is no admin: the catalog, me; the spent refresh token; logged out, its access token,
# its refresh token; the password changed, the other session, this one.
TUTORIAL_STATUSES = [
    *("200", "200", "200"),
    *("401", "401", "401"),
    *("403", "200"),
    "401",
    *("204", "401", "401"),
    *("204", "401", "200"),
]
# Where a tutorial has the reader paste the password `make run` printed.
PASSWORD_LINE = re.compile(r"^export ADMIN_PASSWORD='[^']*'$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, counted from 1
    info: str  # the info string's first word: the language
    mark: str | None  # the HTML comment just above the opening fence, without <!-- -->
    heading: str | None  # the nearest heading above
    code: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT_DIR)}:{self.line}"

    def statuses(self) -> list[str] | None:
        match = RUN.fullmatch(self.mark or "")
        return match["statuses"].split() if match and match["statuses"] else None


def code_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file. A fence must start its line: an indented one would
    escape this check, so it fails here."""
    blocks = []
    lines = path.read_text(encoding="utf-8").splitlines()
    heading = None
    index = 0
    while index < len(lines):
        line = lines[index]
        assert not re.match(r"^\s+(```|~~~)", line), f"{path}:{index + 1}: an indented fence"
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        fence = FENCE.match(line)
        if not fence:
            index += 1
            continue
        closing = index + 1
        while not lines[closing].startswith(fence[1]):
            closing += 1
        previous = MARK.match(lines[index - 1]) if index else None
        blocks.append(
            Block(
                path=path,
                line=index + 1,
                info=fence[2].lower(),
                mark=previous[1] if previous else None,
                heading=heading,
                code="\n".join(lines[index + 1 : closing]) + "\n",
            )
        )
        index = closing + 1
    return blocks


def documentation() -> list[Path]:
    return [PROJECT_DIR / "README.md", *sorted(DOCS.rglob("*.md"))]


def marked_blocks() -> list[Block]:
    """Every block of the README and the docs but the tutorials'."""
    return [
        block for path in documentation() if path not in TUTORIALS for block in code_blocks(path)
    ]


def run_blocks() -> list[Block]:
    """The blocks run against this module's server (the catalog walk has a test of its own)."""
    return [
        block
        for block in marked_blocks()
        if block.mark is not None
        and RUN.fullmatch(block.mark)
        and block.path != ADD_A_RESOURCE
        and block != walk_block()
    ]


def walk_block() -> Block:
    (block,) = [
        block
        for block in code_blocks(USE_THE_API)
        if block.heading == "Walk through the catalog" and block.info == "sh"
    ]
    return block


def _problem(block: Block) -> str | None:
    """What is wrong with how ``block`` is marked, or None."""
    if block.info not in RUNNABLE | TEXT:
        return f"info string {block.info!r} is neither runnable {RUNNABLE} nor text {TEXT}"
    mark = block.mark
    if block.info in TEXT:
        return None if mark is None else f"a {block.info or 'plain'} block needs no mark"
    if mark is None:
        return "a runnable block with no mark: <!-- run -->, or <!-- not-run: why -->"
    if RUN.fullmatch(mark):
        return None if block.info in {"sh", "bash"} else "only sh and bash blocks are run"
    if NOT_RUN.fullmatch(mark):
        return None
    if mark == "client-example":
        ok = block.path == CLIENTS and block.info == "python"
        return None if ok else "the client example is the Python block of clients.md"
    if FILE.fullmatch(mark) or INSERT.fullmatch(mark):
        ok = block.path == ADD_A_RESOURCE
        return None if ok else "file and insert marks belong to add-a-resource.md"
    return f"unknown mark <!-- {mark} -->"


def test_every_block_is_run_or_says_why_not():
    problems = [
        f"{block.where}: {problem}"
        for block in marked_blocks()
        if (problem := _problem(block)) is not None
    ]
    assert problems == []


def test_the_checks_see_the_blocks_they_should():
    marks = [block.mark or "" for block in marked_blocks()]
    assert len(run_blocks()) >= 5
    assert marks.count("client-example") == 1
    assert any(mark.startswith("file: ") for mark in marks)
    assert any(mark.startswith("insert: ") for mark in marks)
    assert "client-example" in (PROJECT_DIR / "tests/test_generated_client.py").read_text()
    # The README keeps a few lines that run.
    assert any(block.path.name == "README.md" for block in run_blocks())


def test_a_block_without_a_reason_or_with_an_unknown_language_is_refused(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\nls\n```\n\n<!-- not-run: -->\n```bash\nls\n```\n\n"
        "<!-- run -->\n```python\nprint()\n```\n\n```ruby\nputs 1\n```\n\n"
        "<!-- run: 200 -->\n```sh\nls\n```\n\n```text\nplain\n```\n",
        encoding="utf-8",
    )
    problems = [_problem(block) for block in code_blocks(page)]
    assert [problem is None for problem in problems] == [False, False, False, False, True, True]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    password: str
    database: Path
    env: dict[str, str]  # what a block's commands need to reach the server's database


@contextmanager
def development_server(folder: Path) -> Iterator[Server]:
    """`make run`'s steps against a database in ``folder``."""
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
    # The examples log in a dozen times within a minute, as no reader does.
    server_env = {**env, "LOGIN_THROTTLE_RATE": "1000/min"}
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"{port}"],
            cwd=PROJECT_DIR,
            env=subprocess_env(server_env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(url, server, log)
            yield Server(url=url, password=password, database=database, env=env)
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
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


def run_bash(
    script: str, server: Server, tmp_path: Path, *, password: str | None = None
) -> subprocess.CompletedProcess:
    """``script`` run by bash from the checkout, as a reader at `make run` would run it."""
    env = subprocess_env(
        {
            **server.env,
            "API": server.url,
            "ADMIN_PASSWORD": server.password if password is None else password,
            "TMPDIR": str(tmp_path),  # where mktemp makes its folders
        }
    )
    env.pop("ADMIN_EMAIL", None)
    return subprocess.run(
        ["bash", "-c", script],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_program("curl")  # the examples use it
    with development_server(tmp_path_factory.mktemp("docs")) as running:
        yield running


@pytest.mark.parametrize("block", run_blocks(), ids=lambda block: block.where)
def test_the_block_runs(server, block, tmp_path):
    result = run_bash(block.code, server, tmp_path)
    assert result.returncode == 0, f"{block.where}:\n{result.stdout}\n{result.stderr}"
    assert result.stderr == "", block.where
    expected = block.statuses()
    if expected is not None:
        assert STATUS.findall(result.stdout) == expected, f"{block.where}:\n{result.stdout}"


def test_the_catalog_walk_runs_twice_and_leaves_the_sample_catalog_alone(server, tmp_path):
    block = walk_block()
    assert block.statuses() == WALK_STATUSES
    sample = catalog(server.database)
    assert len(sample) >= 40

    for run in (1, 2):
        result = run_bash(block.code, server, tmp_path)
        assert result.returncode == 0, f"run {run}:\n{result.stdout}\n{result.stderr}"
        assert STATUS.findall(result.stdout) == WALK_STATUSES
        assert "Ya existe una película con este título y este año." in result.stdout
        assert result.stderr == ""

    # The films the walk made are gone again, and no sample film was touched.
    assert catalog(server.database) == sample


def test_a_wrong_password_stops_the_walk_at_the_login(server, tmp_path):
    before = catalog(server.database)
    result = run_bash(walk_block().code, server, tmp_path, password="not the password")
    assert result.returncode != 0
    assert "Login failed: {'detail': " in result.stderr
    assert "Traceback" not in result.stderr
    assert "->" not in result.stdout  # nothing ran after the failed login
    assert catalog(server.database) == before


def test_no_password_stops_the_walk_before_any_request(server, tmp_path):
    result = run_bash(walk_block().code, server, tmp_path, password="")
    assert result.returncode != 0
    assert "export ADMIN_PASSWORD first" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda path: path.name)
def test_the_tutorial_runs_in_one_shell(server, tutorial, tmp_path):
    blocks = code_blocks(tutorial)
    assert {block.info for block in blocks} == {"sh", "text"}
    assert all(block.mark is None for block in blocks)
    # Not run: the key rotation needs a server restarted with a rotated JWT_SIGNING_KEYS.
    *steps, rotation = [block for block in blocks if block.info == "sh"]
    assert "JWT_SIGNING_KEYS" in rotation.code
    # Every step is followed by its expected output.
    outputs = [blocks[blocks.index(step) + 1] for step in steps]
    assert all(output.info == "text" for output in outputs)
    shown = [status for output in outputs for status in STATUS.findall(output.code)]
    assert shown == TUTORIAL_STATUSES

    script = "set -e\n" + "".join(block.code for block in steps)
    assert DOCUMENTED_API in script
    # The reader pastes the password make run printed, as the reader at this server would.
    assert len(PASSWORD_LINE.findall(script)) == 1
    script = PASSWORD_LINE.sub(f"export ADMIN_PASSWORD={shlex.quote(server.password)}", script)
    result = run_bash(script.replace(DOCUMENTED_API, server.url), server, tmp_path)

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stderr == ""
    output = result.stdout
    # The token's header and payload, printed as indented JSON: the only lines that are "{".
    header, payload = (json.loads(part) for part in re.findall(r"^\{$.*?^\}$", output, re.M | re.S))
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "dev"}
    assert set(payload) == {"iss", "aud", "sub", "email", "iat", "exp", "jti", "sid"}
    assert payload["exp"] - payload["iat"] == 900
    assert re.search(r'^WWW-Authenticate: Bearer realm="api"\r?$', output, re.M)
    assert 'error="invalid_token", error_description="The token is malformed."' in output
    for code in ("not_authenticated", "token_invalid", "not_admin", "refresh_invalid"):
        assert f'"code":"{code}"' in output, code
    assert output.count('"code":"token_revoked"') == 2  # after the logout and the password change
    assert STATUS.findall(output) == TUTORIAL_STATUSES
