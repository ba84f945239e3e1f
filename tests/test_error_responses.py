"""Every status the API answers under /api/ is JSON in DRF's shape, debug on or off; the other
pages (the admin) keep Django's HTML."""

import pytest
from django.test import Client

from common.errors import ERROR_CODES
from tests.helpers import forge_token

DEBUG_OFF_AND_ON = pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])


def assert_json_detail(response, status: int, code: str, detail: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    if detail is not None:
        assert body["detail"] == detail
    assert "Traceback" not in response.content.decode()
    return body


@pytest.fixture
def client_for(settings):
    """A test client with debug as asked; exceptions are answered, as a server would."""

    def make(debug: bool) -> Client:
        settings.DEBUG = debug
        return Client(raise_request_exception=False)

    return make


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
@pytest.mark.parametrize(
    "path", ["/api/nope/", "/api/", "/api", "/api/movies/1/extra/", "/api/auth/"]
)
def test_unknown_path_under_api_is_a_json_404(client_for, debug, path):
    assert_json_detail(client_for(debug).get(path), 404, "not_found", "Not found.")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_unknown_movie_is_a_json_404(client_for, debug, admin_token):
    response = client_for(debug).get(
        "/api/movies/424242/", HTTP_AUTHORIZATION=f"Bearer {admin_token}"
    )
    assert_json_detail(response, 404, "not_found")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_wrong_method_is_a_json_405_with_allow(client_for, debug):
    response = client_for(debug).delete("/api/auth/login/")
    assert_json_detail(response, 405, "method_not_allowed", 'Method "DELETE" not allowed.')
    assert "POST" in response["Allow"]


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_wrong_method_on_a_docs_page_is_a_json_405(client_for, debug):
    response = client_for(debug).post("/api/docs/")
    assert_json_detail(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_body_that_is_not_json_is_a_json_415(client_for, debug):
    response = client_for(debug).post(
        "/api/auth/login/", "email=a@example.com", content_type="application/x-www-form-urlencoded"
    )
    assert_json_detail(response, 415, "unsupported_media_type")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
@pytest.mark.parametrize("path", ["/api/auth/login/", "/api/movies/"])
def test_body_over_the_upload_limit_is_a_json_413(client_for, settings, debug, admin_token, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = '{"email": "%s@example.com", "password": "x"}' % ("a" * 2_000)
    response = client_for(debug).post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {admin_token}"
    )
    assert_json_detail(response, 413, "request_too_large", "The request body is too large.")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/movies/"), ("post", "/api/auth/login/")]
)
def test_too_many_query_parameters_is_a_json_400_saying_so(
    client_for, debug, admin_token, method, path
):
    query = "&".join(f"f{number}=1" for number in range(1_001))  # Django's limit is 1000
    response = getattr(client_for(debug), method)(
        f"{path}?{query}", HTTP_AUTHORIZATION=f"Bearer {admin_token}"
    )
    assert_json_detail(
        response, 400, "too_many_parameters", "Too many query parameters or form fields."
    )


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_malformed_json_is_a_json_400(client_for, debug):
    response = client_for(debug).post("/api/auth/login/", "{", content_type="application/json")
    assert_json_detail(response, 400, "parse_error")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_request_for_a_host_not_allowed_is_a_json_400(client_for, debug):
    response = client_for(debug).get("/api/movies/", HTTP_HOST="evil.example.net")
    assert_json_detail(response, 400, "bad_request", "Bad request.")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_missing_token_is_a_json_401_with_www_authenticate(client_for, debug):
    response = client_for(debug).get("/api/movies/")
    assert_json_detail(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_non_admin_token_is_a_json_403(client_for, debug, regular_user):
    token = forge_token(regular_user)
    response = client_for(debug).get("/api/movies/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_json_detail(response, 403, "not_admin")


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_throttled_login_is_a_json_429_with_retry_after(client_for, debug):
    client = client_for(debug)
    for _ in range(10):
        response = client.post(
            "/api/auth/login/",
            {"email": "nobody@example.com", "password": "wrong"},
            content_type="application/json",
        )
    assert_json_detail(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_unhandled_exception_is_a_json_500_without_traceback(
    client_for, debug, admin_token, monkeypatch, caplog
):
    def broken_list(self, request, *args, **kwargs):
        raise RuntimeError("a bug in the list view")

    monkeypatch.setattr("movies.views.MovieViewSet.list", broken_list)
    response = client_for(debug).get("/api/movies/", HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    assert_json_detail(response, 500, "server_error", "A server error occurred.")
    assert "a bug in the list view" not in response.content.decode()
    # The traceback is for the log, where the operator finds it.
    assert any(
        record.exc_info and "a bug in the list view" in str(record.exc_info[1])
        for record in caplog.records
    )


@pytest.mark.django_db
@DEBUG_OFF_AND_ON
def test_pages_outside_api_keep_djangos_html_errors(client_for, debug):
    response = client_for(debug).get("/admin/no-such-page/", follow=True)
    assert response["Content-Type"].startswith("text/html")
    response = client_for(debug).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '[{"title": "Alien"}]', '"Alien"', "7", "null"])
def test_a_body_that_is_not_a_json_object_is_a_parse_error(admin_client, body):
    response = admin_client.post("/api/movies/", body, content_type="application/json")
    assert_json_detail(
        response, 400, "parse_error", "JSON parse error - the body must be a JSON object."
    )


def test_the_schema_lists_every_error_code(client):
    schema = client.get("/api/schema/?format=json").json()
    codes = schema["components"]["schemas"]["ErrorCodeEnum"]["enum"]
    assert codes == list(ERROR_CODES)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail"]
    assert error["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCodeEnum"}
