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
from decimal import Decimal

import jsonschema
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
    for name in (
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "flow.ts",
        "redocly.yaml",
        "ajv-check.mjs",
    ):
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
    # Exits non-zero on any error; one warning remains: the health check declares no 4xx.
    lint = ["npx", "redocly", "lint", "schema.json", "--config", "redocly.yaml"]
    result = subprocess.run(lint, cwd=node_project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Your API description is valid." in result.stderr


def json_schema(node, defs: str):
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` becomes a type that admits null,
    ``example`` is dropped, and component references point into ``defs``."""
    if isinstance(node, list):
        return [json_schema(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: value.replace("#/components/schemas/", defs)
        if key == "$ref"
        else json_schema(value, defs)
        for key, value in node.items()
        if key not in ("nullable", "example")
    }
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def answers_of_every_kind(client, admin_user, make_movie) -> list[dict]:
    """What the server answers, each with the component that describes it: every legal rating
    (0.0 to 10.0) in movies and lists, both pagination modes, the account answers, errors."""
    for tenth in range(101):
        make_movie(title=f"Rated {tenth}", year=2000, rating=Decimal(tenth) / 10)
    token = client.post(
        "/api/auth/login/", {"email": admin_user.email, "password": PASSWORD}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    first, cursor = (
        client.get(f"/api/movies/?page_size=100{mode}").json() for mode in ("", "&cursor=")
    )
    samples = [
        ("Token", token),
        ("Me", client.get("/api/auth/me/").json()),
        ("PaginatedMovieList", first),
        ("PaginatedMovieList", client.get(first["next"]).json()),
        ("PaginatedMovieList", cursor),
        ("PaginatedMovieList", client.get(cursor["next"]).json()),
        ("Movie", client.get(f"/api/movies/{first['results'][0]['id']}/").json()),
        ("ValidationError", client.get("/api/movies/?year=x").json()),
        (
            "ValidationError",
            client.post("/api/movies/", "[]", content_type="application/json").json(),
        ),
        ("Error", client.get("/api/movies/999999/").json()),
        ("Health", client.get("/healthz").json()),
    ]
    samples += [("Session", session) for session in client.get("/api/auth/sessions/").json()]
    client.credentials()
    samples.append(("Error", client.get("/api/auth/me/").json()))
    return [{"schema": schema, "value": value} for schema, value in samples]


def test_the_servers_answers_fit_the_schema_in_ajv_and_python_jsonschema(
    node_project, api_client, admin_user, make_movie
):
    schema = api_client.get("/api/schema/?format=json").json()
    samples = answers_of_every_kind(api_client, admin_user, make_movie)
    lists = [sample["value"] for sample in samples if sample["schema"] == "PaginatedMovieList"]
    ratings = {movie["rating"] for page in lists for movie in page["results"]}
    assert len(ratings) == 101  # every legal rating, as the server writes it
    # python-jsonschema, with the draft an OpenAPI 3.0 schema is written in (draft 4's object
    # keywords) and its format checks.
    components = json_schema(schema["components"]["schemas"], "#/definitions/")
    for sample in samples:
        root = {"definitions": components, "$ref": f"#/definitions/{sample['schema']}"}
        validator = jsonschema.Draft4Validator(
            root, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
        )
        assert not list(validator.iter_errors(sample["value"])), sample
    # Ajv 8, default options (strict mode), with ajv-formats.
    (node_project / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (node_project / "samples.json").write_text(json.dumps(samples), encoding="utf-8")
    checked = json.loads(run(["node", "ajv-check.mjs"], node_project))
    assert checked == {"checked": len(samples), "failures": []}
