"""The schema from TypeScript, as a client author would use it: openapi-typescript generates the
types from the live schema, `tsc --strict` checks tests/typescript/flow.ts against them, and the
compiled flow runs against the live server (and refreshes an expired access token by its code).
Redocly's recommended ruleset lints the same schema. Versions are pinned (package-lock.json).

Needs Node.js and npm: a local `make test` without them skips; CI installs them and never skips.
"""

import json
import os
import shutil
import subprocess
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.helpers import PASSWORD, PROJECT_DIR, login_pair, require_program

SOURCES = PROJECT_DIR / "tests" / "typescript"
pytestmark = pytest.mark.django_db(transaction=True)


def run(command: list[str], cwd, **env) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def node_project(tmp_path_factory):
    require_program("npm")
    folder = tmp_path_factory.mktemp("typescript")
    for name in ("package.json", "package-lock.json", "tsconfig.json", "flow.ts", "redocly.yaml"):
        shutil.copy(SOURCES / name, folder / name)
    run(["npm", "ci", "--no-audit", "--no-fund"], folder)
    return folder


@pytest.fixture
def schema_url(live_server, django_db_blocker) -> str:
    return f"{live_server.url}/api/schema/?format=json"


def test_a_typescript_client_type_checks_strictly_and_runs_the_flow(
    node_project, live_server, schema_url, admin_user, make_movie, django_db_blocker
):
    make_movie(title="Heat", rating="8.3")
    make_movie(title="Alien", rating="8.5")
    with django_db_blocker.unblock():
        run(["npx", "openapi-typescript", schema_url, "-o", "schema.d.ts"], node_project)
    run(["npx", "tsc", "-p", "."], node_project)  # strict: tsconfig.json
    with django_db_blocker.unblock():
        output = run(
            ["node", "dist/flow.js"],
            node_project,
            API=live_server.url,
            EMAIL=admin_user.email,
            PASSWORD=PASSWORD,
        )
    assert json.loads(output) == {"titles": ["Alien", "Heat"], "renewed": False}

    with time_machine.travel(timezone.now() - timedelta(hours=1)):
        expired = login_pair(admin_user)  # its access token expired long ago
    with django_db_blocker.unblock():
        output = run(
            ["node", "dist/flow.js"],
            node_project,
            API=live_server.url,
            ACCESS_TOKEN=expired.access.value,
            REFRESH_TOKEN=expired.refresh.value,
        )
    assert json.loads(output) == {"titles": ["Alien", "Heat"], "renewed": True}


def test_redoclys_recommended_ruleset_finds_no_error(node_project, schema_url, django_db_blocker):
    with django_db_blocker.unblock(), urllib.request.urlopen(schema_url, timeout=30) as answer:
        (node_project / "schema.json").write_bytes(answer.read())
    # Exits non-zero on any error; warnings (no licence, a health check with no 4xx) remain.
    lint = ["npx", "redocly", "lint", "schema.json", "--config", "redocly.yaml"]
    result = subprocess.run(lint, cwd=node_project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Your API description is valid." in result.stderr
