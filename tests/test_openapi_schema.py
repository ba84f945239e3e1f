"""The OpenAPI document: served publicly, complete, and honest about auth and errors."""

import re

import pytest
import yaml
from django.utils import timezone

from tests.helpers import PROJECT_DIR, TOKEN_PAIR_KEYS

PROTECTED = {
    ("post", "/api/auth/logout/"),
    ("post", "/api/auth/logout/all/"),
    ("get", "/api/auth/sessions/"),
    ("delete", "/api/auth/sessions/{id}/"),
    ("post", "/api/auth/password/"),
    ("get", "/api/auth/me/"),
    ("get", "/api/movies/"),
    ("post", "/api/movies/"),
    ("get", "/api/movies/{id}/"),
    ("put", "/api/movies/{id}/"),
    ("patch", "/api/movies/{id}/"),
    ("delete", "/api/movies/{id}/"),
    ("get", "/api/movies/{id}/history/"),
}
PUBLIC = {("post", "/api/auth/login/"), ("post", "/api/auth/refresh/"), ("get", "/healthz/")}
BODILESS = {"/api/auth/logout/", "/api/auth/logout/all/"}


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_schema_is_yaml_by_default_and_json_on_request(api_client, schema):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == schema
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Movie catalog API"


def test_schema_is_public_even_with_a_bad_token(api_client):
    response = api_client.get("/api/schema/", HTTP_AUTHORIZATION="Bearer expired.or.junk")
    assert response.status_code == 200


def test_bearer_scheme_guards_exactly_the_protected_operations(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access_token from POST /api/auth/login/.",
    }
    found = {(method, path) for method, path, _ in operations(schema)}
    assert found == PROTECTED | PUBLIC
    for method, path, operation in operations(schema):
        if (method, path) in PROTECTED:
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]
            # 403 (not an admin) on the catalog only: the account endpoints serve any user.
            assert ("403" in operation["responses"]) == path.startswith("/api/movies/")
        else:
            assert operation["security"] == []  # public, said explicitly: no padlock


def test_every_operation_has_a_summary_a_tag_and_its_errors(schema):
    for method, path, operation in operations(schema):
        assert operation["summary"], (method, path)
        assert operation["tags"][0] in {"auth", "movies", "health"}
        responses = set(operation["responses"])
        if path.startswith(("/api/movies/{id}", "/api/auth/sessions/{id}")):
            assert "404" in responses
        if method in {"post", "put", "patch"} and path not in BODILESS:
            assert "400" in responses
    for path in ("/api/auth/login/", "/api/auth/refresh/"):
        assert {"200", "400", "401", "429"} <= set(schema["paths"][path]["post"]["responses"])
    password = schema["paths"]["/api/auth/password/"]["post"]
    assert {"204", "400", "401", "429"} <= set(password["responses"])


def test_session_operations_are_documented(schema):
    paths = schema["paths"]
    for path in ("/api/auth/refresh/", "/api/auth/password/"):
        assert "examples" in paths[path]["post"]["requestBody"]["content"]["application/json"]
    pair = paths["/api/auth/refresh/"]["post"]["responses"]["200"]["content"]["application/json"]
    assert set(next(iter(pair["examples"].values()))["value"]) == TOKEN_PAIR_KEYS
    listing = paths["/api/auth/sessions/"]["get"]["responses"]["200"]["content"]
    item = listing["application/json"]["schema"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][item]["properties"]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "ip_address",
        "current",
    }
    (parameter,) = paths["/api/auth/sessions/{id}/"]["delete"]["parameters"]
    assert parameter["schema"] == {"type": "string", "format": "uuid"}


def test_login_and_movie_have_examples(schema):
    login = schema["paths"]["/api/auth/login/"]["post"]
    assert "examples" in login["requestBody"]["content"]["application/json"]
    assert "examples" in login["responses"]["200"]["content"]["application/json"]
    create = schema["paths"]["/api/movies/"]["post"]
    example = create["requestBody"]["content"]["application/json"]["examples"]["Paprika"]
    assert example["value"]["title"] == "Paprika"  # not in the sample catalog: it can be created


def test_filter_parameters_are_typed(schema):
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/movies/"]["get"]["parameters"]
    }
    for name in ("year", "year_min", "year_max"):
        assert parameters[name] == {"type": "integer", "minimum": 0, "maximum": 9999}
    assert parameters["rating_min"] == {"type": "number", "minimum": 0, "maximum": 10}
    # Whole numbers in URLs are at most 18 ASCII digits (common/integers.py).
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    # Page numbers reach the first 10 000 results (a page of one); deeper, the cursor.
    assert parameters["page"] == {"type": "integer", "minimum": 1, "maximum": 10_000}
    assert parameters["category"] == {"type": "string", "maxLength": 50}
    assert parameters["search"] == {"type": "string", "maxLength": 200}
    assert parameters["ordering"]["items"] == {"$ref": "#/components/schemas/MovieOrdering"}
    assert {"category", "search", "page", "year_max"} <= set(parameters)


OPERATION_IDS = {
    ("post", "/api/auth/login/"): "auth_login",
    ("post", "/api/auth/refresh/"): "auth_refresh",
    ("post", "/api/auth/logout/"): "auth_logout",
    ("post", "/api/auth/logout/all/"): "auth_logout_all",
    ("get", "/api/auth/me/"): "auth_me",
    ("post", "/api/auth/password/"): "auth_password_change",
    ("get", "/api/auth/sessions/"): "sessions_list",
    ("delete", "/api/auth/sessions/{id}/"): "sessions_destroy",
    ("get", "/api/movies/"): "movies_list",
    ("post", "/api/movies/"): "movies_create",
    ("get", "/api/movies/{id}/"): "movies_retrieve",
    ("put", "/api/movies/{id}/"): "movies_update",
    ("patch", "/api/movies/{id}/"): "movies_partial_update",
    ("delete", "/api/movies/{id}/"): "movies_destroy",
    ("get", "/api/movies/{id}/history/"): "movies_history",
    ("get", "/healthz/"): "health",
}


def test_every_operation_has_the_id_chosen_for_it(schema):
    """Generated clients name their functions after these: a new operation needs one chosen."""
    found = {
        (method, path): operation["operationId"] for method, path, operation in operations(schema)
    }
    assert found == OPERATION_IDS


def test_movie_ids_in_paths_are_integers_and_the_conditions_are_headers(schema):
    conditions = {
        "get": "If-None-Match",
        "put": "If-Match",
        "patch": "If-Match",
        "delete": "If-Match",
    }
    for method, condition in conditions.items():
        parameters = schema["paths"]["/api/movies/{id}/"][method]["parameters"]
        assert {(p["name"], p["in"]) for p in parameters} == {("id", "path"), (condition, "header")}
        (movie_id,) = (p for p in parameters if p["name"] == "id")
        assert movie_id["schema"] == {"type": "integer"}
    history = schema["paths"]["/api/movies/{id}/history/"]["get"]["parameters"]
    assert {p["name"] for p in history} == {"id", "page", "page_size", "cursor"}
    (history_id,) = (p for p in history if p["name"] == "id")
    assert history_id["schema"] == {"type": "integer"}
    (key,) = schema["paths"]["/api/movies/"]["post"]["parameters"]
    assert (key["name"], key["in"], key["schema"]["type"]) == (
        "Idempotency-Key",
        "header",
        "string",
    )


def test_every_400_refers_to_the_one_validation_error_component(schema):
    bad_requests = [
        operation["responses"]["400"]["content"]["application/json"]["schema"]
        for _, _, operation in operations(schema)
        if "400" in operation["responses"]
    ]
    # Every API operation: a query string of 1001 parameters is a 400 on any of them.
    assert len(bad_requests) == len(list(operations(schema))) - 1  # all but /healthz/
    assert all(body == {"$ref": "#/components/schemas/ValidationError"} for body in bad_requests)
    component = schema["components"]["schemas"]["ValidationError"]
    assert component["properties"]["detail"]["type"] == "string"
    assert component["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_ordering_values_have_names_for_generated_clients(schema):
    ordering = schema["components"]["schemas"]["MovieOrdering"]
    names = dict(zip(ordering["enum"], ordering["x-enum-varnames"], strict=True))
    assert names["title"] == "title"
    assert names["-title"] == "title_desc"
    assert names["-created_at"] == "created_at_desc"
    assert len(names) == 8


def test_schema_states_the_rules_the_server_enforces(schema):
    """What schemathesis' negative and positive data checks hold the server to."""
    movie = schema["components"]["schemas"]["MovieRequest"]["properties"]
    # Rounded to one decimal, not refused: no multipleOf, which binary floats make unreliable.
    assert (movie["rating"]["minimum"], movie["rating"]["maximum"]) == (0, 10)
    assert "multipleOf" not in movie["rating"]
    # A blank title or category is refused after trimming: it needs one non-blank character;
    # no text may hold a NUL (tests/test_movie_validation.py holds the server to the patterns).
    assert movie["title"]["pattern"] == movie["category"]["pattern"]
    assert movie["overview"]["not"] == {"pattern": "\\u0000"}
    assert movie["year"]["maximum"] == timezone.now().year + 10
    # Answers carry no upper end: a movie of a later year still fits a schema fetched today.
    answered = schema["components"]["schemas"]["Movie"]["properties"]["year"]
    assert answered == {"type": "integer", "minimum": 1888, "description": answered["description"]}
    parameters = {p["name"]: p for p in schema["paths"]["/api/movies/"]["get"]["parameters"]}
    # An empty filter is no filter; an empty page number or size is a 400.
    assert parameters["year"]["allowEmptyValue"] is True
    assert parameters["ordering"]["allowEmptyValue"] is True
    assert "allowEmptyValue" not in parameters["page"]


@pytest.mark.parametrize(
    ("path", "asset"), [("/api/docs/", "swagger-ui"), ("/api/redoc/", "redoc")]
)
def test_documentation_pages_load_their_assets_from_this_server(api_client, path, asset):
    response = api_client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/static/drf_spectacular_sidecar/{asset}" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page.replace("https://github.com", "")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/?script=", "/api/redoc/"])
def test_documentation_pages_send_a_content_security_policy(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-eval" not in policy


def test_swagger_ui_needs_no_inline_script(api_client):
    page = api_client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    assert '<script src="/api/docs/?script="></script>' in page
    script = api_client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "preauthorizeApiKey" in script.content.decode()


def test_every_status_and_header_the_server_sends_is_declared(schema, api_client):
    """A generated client can read Retry-After, the RateLimit fields and the rest from types."""
    assert set(schema["components"]["headers"]) == {
        "Retry-After",
        "WWW-Authenticate",
        "RateLimit-Policy",
        "RateLimit",
        "Location",
        "ETag",
        "Cache-Control",
        "Idempotent-Replayed",
    }
    tagged = {
        ("movies_retrieve", "200"),
        ("movies_retrieve", "304"),
        ("movies_update", "200"),
        ("movies_partial_update", "200"),
    }
    limited = {"auth_login", "auth_refresh", "auth_password_change"}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            responses = operation["responses"]

            def headers(status, responses=responses):
                refs = responses[status].get("headers", {})
                return {name: ref["$ref"].rsplit("/", 1)[1] for name, ref in refs.items()}

            if path.startswith("/api/"):
                assert "503" in responses, path
                assert ("413" in responses) == ("415" in responses) == ("requestBody" in operation)
            for status in responses:
                named = headers(status)
                assert all(name == ref for name, ref in named.items())
                assert ("WWW-Authenticate" in named) == (status == "401")
                assert ("Retry-After" in named) == (status in ("429", "503"))
                assert ("Location" in named) == (status == "201")
                replayable = (operation["operationId"], status) == ("movies_create", "201")
                assert ("Idempotent-Replayed" in named) == replayable
                is_tagged = (operation["operationId"], status) in tagged
                assert ("ETag" in named) == ("Cache-Control" in named) == is_tagged
                rate_limited = operation["operationId"] in limited and status not in (
                    "413",
                    "415",
                    "503",
                )
                assert ("RateLimit" in named) == ("RateLimit-Policy" in named) == rate_limited
    spanish = api_client.get("/api/schema/?format=json&lang=es").json()
    retry_after = spanish["components"]["headers"]["Retry-After"]["description"]
    assert retry_after == "Segundos que esperar antes de volver a intentarlo."


def test_the_schema_names_its_server_and_licence_and_describes_every_operation(schema):
    assert schema["servers"] == [{"url": "/", "description": "The server this schema came from."}]
    assert schema["info"]["license"]["name"] == "BSD-3-Clause"
    assert (PROJECT_DIR / "LICENSE").read_text().startswith("BSD 3-Clause License")
    descriptions = [
        operation.get("description", "")
        for operations in schema["paths"].values()
        for operation in operations.values()
    ]
    assert all(descriptions)
    assert len(set(descriptions)) == len(descriptions)  # none is a class's docstring, repeated


def test_each_error_response_names_the_codes_it_can_carry(schema):
    enum = set(schema["components"]["schemas"]["ErrorCodeEnum"]["enum"])
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                listed = re.findall(r"`(\w+)`", response["description"].rpartition("Codes:")[2])
                assert set(listed) <= enum
                if status in {"401", "403", "404", "409", "413", "415", "429", "503"}:
                    assert listed, (path, status)
    login = schema["paths"]["/api/auth/login/"]["post"]["responses"]
    assert login["401"]["description"].endswith("Codes: `invalid_credentials`.")
    me = schema["paths"]["/api/auth/me/"]["get"]["responses"]["401"]["description"]
    assert me.endswith("`not_authenticated`, `token_invalid`, `token_expired`, `token_revoked`.")
