"""docs/how-to/add-a-resource.md, followed to the letter in a copy of the repository: its steps
must give a working `directors` resource with everything the catalog has (Bearer tokens, admins
only, ASCII ids, JSON errors, the schema), in the project's style.

The page's steps are its marked blocks, applied in order (docs/how-to/testing.md):
``<!-- file: PATH -->`` writes a new file; ``<!-- insert: PATH after: LINE -->`` adds the block's
lines after the line ``LINE`` of ``PATH`` (which must be there exactly once); ``<!-- run -->``
runs the block with bash in the copy, against a development server of the copy once the block
needs one (``$API``). The copy's database and development secrets are in pytest's temporary
folder; its ``.venv`` is a link to this checkout's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR, require_program, subprocess_env
from tests.test_docs_examples import (
    ADD_A_RESOURCE,
    FILE,
    INSERT,
    RUN,
    STATUS,
    TEXT,
    code_blocks,
    free_port,
    wait_until_up,
)

ADMIN = "admin@example.com"
READER = "reader@example.com"
PASSWORD = "a long password nobody guesses 42"


def copy_of_the_repository(destination: Path) -> Path:
    """The repository's files as they are now (tracked, and new ones git does not ignore)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_DIR / name
        if source.is_file():  # a file deleted in the working tree is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(PROJECT_DIR / ".venv")
    return destination


class Copy:
    """The copy, its environment, and its development server once a step needs one."""

    def __init__(self, folder: Path):
        self.root = copy_of_the_repository(folder / "repository")
        self.env = {
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "DJANGO_DEV_SECRETS_FILE": str(folder / "dev-secrets.json"),
        }
        self.folder = folder
        self.url: str | None = None
        self.server: subprocess.Popen | None = None

    def manage(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.root,
            env=subprocess_env({**self.env, **extra_env}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
        return result

    def bash(self, script: str) -> subprocess.CompletedProcess:
        env = subprocess_env({**self.env, **({"API": self.url} if self.url else {})})
        return subprocess.run(
            ["bash", "-c", script],
            cwd=self.root,
            env={**env, "TMPDIR": str(self.folder)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        """What `make run` does, with an admin made by createsuperuser."""
        self.manage("migrate", "--noinput")
        self.manage(
            "createsuperuser",
            "--noinput",
            DJANGO_SUPERUSER_EMAIL=ADMIN,
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = self.folder / "runserver.log"
        with log.open("w") as log_file:
            self.server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"{port}"],
                cwd=self.root,
                env=subprocess_env(self.env),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(self.url, self.server, log)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)

    def call(self, method: str, path: str, *, token: str | None = None, body=None):
        """(status, headers, JSON body) of a request to the copy's server."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, content = error.code, error.headers, error.read()
        return status, headers, json.loads(content) if content else None


def apply_the_guide(copy: Copy) -> None:
    steps = [block for block in code_blocks(ADD_A_RESOURCE) if block.info not in TEXT]
    assert len(steps) >= 10
    for block in steps:
        mark = block.mark or ""
        if match := FILE.fullmatch(mark):
            target = copy.root / match["path"]
            assert not target.exists(), f"{block.where}: {match['path']} is not a new file"
            target.write_text(block.code, encoding="utf-8")
        elif match := INSERT.fullmatch(mark):
            target = copy.root / match["path"]
            lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
            anchors = [i for i, line in enumerate(lines) if line.strip() == match["line"]]
            assert len(anchors) == 1, f"{block.where}: {match['line']!r} in {match['path']}"
            lines[anchors[0] + 1 : anchors[0] + 1] = block.code.splitlines(keepends=True)
            target.write_text("".join(lines), encoding="utf-8")
            text = target.read_text(encoding="utf-8")
            assert all(line in text.splitlines() for line in block.code.splitlines())
        elif RUN.fullmatch(mark):
            if ("$API" in block.code or "${API" in block.code) and copy.url is None:
                copy.start()
            result = copy.bash(block.code)
            assert result.returncode == 0, f"{block.where}:\n{result.stdout}\n{result.stderr}"
            assert result.stderr == "", f"{block.where}:\n{result.stderr}"
            if block.statuses() is not None:
                assert STATUS.findall(result.stdout) == block.statuses(), result.stdout
        else:
            pytest.fail(f"{block.where}: a step this test cannot apply: <!-- {mark} -->")
    assert copy.url is not None, "the guide never tries the new resource"


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    require_program("curl")  # the guide's last step uses it
    copy = Copy(tmp_path_factory.mktemp("add-a-resource"))
    try:
        apply_the_guide(copy)
        yield copy
    finally:
        copy.stop()


@pytest.fixture(scope="module")
def admin_token(copy) -> str:
    return copy.manage("issue_token", ADMIN).stdout.strip()


@pytest.fixture(scope="module")
def reader_token(copy) -> str:
    copy.manage(
        "shell",
        "-c",
        f"from accounts.models import User; User.objects.create_user({READER!r}, {PASSWORD!r})",
    )
    status, _, body = copy.call(
        "POST", "/api/auth/login/", body={"email": READER, "password": PASSWORD}
    )
    assert status == 200, body
    return body["access_token"]


def test_the_guide_gives_a_migration_of_its_own(copy):
    migration = copy.root / "directors" / "migrations" / "0001_initial.py"
    assert "('name', models.CharField(max_length=200, unique=True))" in migration.read_text()


def test_an_admin_adds_lists_reads_and_changes_directors(copy, admin_token):
    status, headers, created = copy.call(
        "POST",
        "/api/directors/",
        token=admin_token,
        body={"name": "Chantal Akerman", "birth_year": 1950},
    )
    assert status == 201, created
    assert set(created) == {"id", "name", "birth_year", "created_at", "updated_at"}
    location = urllib.parse.urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == copy.url
    assert copy.call("GET", location.path, token=admin_token)[::2] == (200, created)

    status, _, page = copy.call("GET", "/api/directors/", token=admin_token)
    assert status == 200
    assert page["mode"] == "page"
    # The guide's own director first: the list is ordered by name.
    assert [row["name"] for row in page["results"]] == ["Agnès Varda", "Chantal Akerman"]

    path = f"/api/directors/{created['id']}/"
    assert copy.call("GET", path, token=admin_token)[2] == created
    # PUT replaces: the birth year left out is cleared.
    status, _, replaced = copy.call("PUT", path, token=admin_token, body={"name": "C. Akerman"})
    assert (status, replaced["birth_year"]) == (200, None)
    status, _, changed = copy.call("PATCH", path, token=admin_token, body={"birth_year": 1950})
    assert (status, changed["name"], changed["birth_year"]) == (200, "C. Akerman", 1950)


def test_the_rules_are_the_catalogs(copy, admin_token):
    def post(body):
        return copy.call("POST", "/api/directors/", token=admin_token, body=body)

    status, _, taken = post({"name": "Agnès Varda"})
    assert status == 400
    assert list(taken) == ["name"]
    # A number as text, a misspelt field, a blank name: each a 400 naming the field.
    for body, field in (
        ({"name": "Jacques Demy", "birth_year": "1931"}, "birth_year"),
        ({"name": "Jacques Demy", "nmae": "x"}, "nmae"),
        ({"name": " \u3000 "}, "name"),
    ):
        status, _, errors = post(body)
        assert (status, list(errors)) == (400, [field])


@pytest.mark.parametrize(
    "query",
    ["birth_year=\u0661\u0669\u0662\u0668", "birth_year=+1928", "birth_year=1&birth_year=2"],
)
def test_the_lists_query_rules_are_the_catalogs(copy, admin_token, query):
    # Other scripts' digits and signs are not ASCII digits; a parameter is given once.
    path = f"/api/directors/?{urllib.parse.quote(query, safe='=&')}"
    status, _, errors = copy.call("GET", path, token=admin_token)
    assert (status, list(errors)) == (400, ["birth_year"])
    status, _, page = copy.call("GET", "/api/directors/?birth_year=1928", token=admin_token)
    assert (status, [row["name"] for row in page["results"]]) == (200, ["Agnès Varda"])


def test_no_token_is_a_401_with_the_bearer_challenge(copy):
    status, headers, body = copy.call("GET", "/api/directors/")
    assert status == 401
    assert body["code"] == "not_authenticated"
    assert headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_signed_in_user_who_is_not_an_admin_gets_403_not_admin(copy, reader_token):
    status, _, body = copy.call("GET", "/api/directors/", token=reader_token)
    assert (status, body["code"]) == (403, "not_admin")
    assert copy.call("GET", "/api/auth/me/", token=reader_token)[0] == 200


ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)


@pytest.mark.parametrize(
    "spelling", ["1".translate(ARABIC_INDIC), "12".translate(ARABIC_INDIC), "+1", "01_0", "1" * 19]
)
def test_an_id_that_is_not_ascii_digits_is_a_json_404(copy, admin_token, spelling):
    # Director 1 exists (the guide's own): "1" in Arabic-Indic digits, or "+1", would name it if
    # int() read the path.
    assert copy.call("GET", "/api/directors/1/", token=admin_token)[0] == 200
    path = f"/api/directors/{urllib.request.quote(spelling)}/"
    not_found = (404, {"detail": "Not found.", "code": "not_found"})
    assert copy.call("GET", path, token=admin_token)[::2] == not_found
    assert copy.call("GET", path)[::2] == not_found  # answered before authentication


def test_the_schema_describes_the_new_resource(copy):
    status, _, schema = copy.call("GET", "/api/schema/?format=json")
    assert status == 200
    operations = {
        (method, path): operation
        for path, methods in schema["paths"].items()
        if path.startswith("/api/directors/")
        for method, operation in methods.items()
    }
    assert {key: operation["operationId"] for key, operation in operations.items()} == {
        ("get", "/api/directors/"): "directors_list",
        ("post", "/api/directors/"): "directors_create",
        ("get", "/api/directors/{id}/"): "directors_retrieve",
        ("put", "/api/directors/{id}/"): "directors_update",
        ("patch", "/api/directors/{id}/"): "directors_partial_update",
        ("delete", "/api/directors/{id}/"): "directors_destroy",
    }
    for operation in operations.values():
        assert operation["tags"] == ["directors"]
        assert operation["summary"]
        assert {"401", "403"} <= set(operation["responses"])
    (parameter,) = operations["get", "/api/directors/{id}/"]["parameters"]
    assert parameter["schema"]["type"] == "integer"


def test_the_new_code_passes_the_projects_checks(copy):
    ruff = PROJECT_DIR / ".venv" / "bin" / "ruff"
    files = ["directors", "config/api_router.py", "config/settings.py"]
    for command in (["check", *files], ["format", "--check", *files]):
        result = subprocess.run(
            [str(ruff), *command], cwd=copy.root, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
    # `make test`'s schema step: valid, and no warning.
    copy.manage("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
