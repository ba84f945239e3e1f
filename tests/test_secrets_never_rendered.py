"""No error report (the debug page, an error mail) shows a signing key, the Django secret key, a
password or a token, even for a failure inside token verification or login with debug on."""

import base64
import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.views.debug import ExceptionReporter

from tests.helpers import PASSWORD, forge_token, override_jwt

CLEANSED = "********************"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signing_secrets() -> list[str]:
    return [secret for _, secret in django_settings.JWT["SIGNING_KEYS"]]


def error_report(response) -> tuple[str, str]:
    """What Django's technical 500 page (HTML) and an error mail (text) show for the exception
    behind ``response``, with the project's reporter filter."""
    assert response.exc_info is not None, "the request raised no exception"
    reporter = ExceptionReporter(response.wsgi_request, *response.exc_info)
    return reporter.get_traceback_html(), reporter.get_traceback_text()


@pytest.fixture
def debug_client(settings) -> Client:
    settings.DEBUG = True
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("depth", [1_000, 3_000])
def test_token_with_a_deeply_nested_header_is_a_401_malformed(settings, debug, depth):
    settings.DEBUG = debug
    header = b64url(b"[" * depth)
    token = f"{header}.{b64url(b'{}')}.{b64url(b'x' * 32)}"
    response = Client(raise_request_exception=False).get(
        "/api/movies/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].endswith(
        'error="invalid_token", error_description="The token is malformed."'
    )
    body = response.content.decode()
    assert not any(secret in body for secret in signing_secrets())


@pytest.mark.django_db
def test_failure_inside_token_verification_reports_no_key_and_no_token(
    debug_client, admin_user, monkeypatch
):
    # Parameter names that look harmless: the values, not the names, must give them away.
    def exploding_decode(encoded, material, *args, **kwargs):
        raise RuntimeError("the JWT library failed")

    monkeypatch.setattr("jwt.decode", exploding_decode)
    token = forge_token(admin_user, jti="a-fresh-token-never-verified")
    response = debug_client.get("/api/movies/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    for report in error_report(response):
        assert "exploding_decode" in report  # the failing frame and its variables are shown
        assert CLEANSED in report
        assert token not in report
        assert token.split(".")[2] not in report  # not even the signature alone
        assert django_settings.SECRET_KEY not in report
        for secret in signing_secrets():
            assert secret not in report


@pytest.mark.django_db
def test_failure_inside_login_reports_no_password_and_no_secret(debug_client, admin_user, settings):
    settings.PASSWORD_HASHERS = ["tests.helpers.ExplodingPasswordHasher"]
    response = debug_client.post(
        "/api/auth/login/",
        {"email": admin_user.email, "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    for report in error_report(response):
        assert "the password hasher failed" in report
        assert "token_obtain" in report
        assert CLEANSED in report
        assert PASSWORD not in report
        assert django_settings.SECRET_KEY not in report
        for secret in signing_secrets():
            assert secret not in report


@pytest.mark.django_db
def test_settings_in_an_error_report_hide_every_signing_key(debug_client, settings, monkeypatch):
    # Made up here, not written out: the report shows this file's source lines around a frame.
    new_key, old_key, db_password = (uuid.uuid4().hex for _ in range(3))
    override_jwt(settings, SIGNING_KEYS=[("new", new_key), ("old", old_key)])
    settings.DATABASE_URL = f"postgres://app:{db_password}@db.internal/app"

    def broken_list(self, request, *args, **kwargs):
        raise RuntimeError("a bug in the list view")

    monkeypatch.setattr("movies.views.MovieViewSet.list", broken_list)
    monkeypatch.setattr("movies.views.MovieViewSet.permission_classes", ())
    monkeypatch.setattr("movies.views.MovieViewSet.authentication_classes", ())
    response = debug_client.get("/api/movies/")

    for report in error_report(response):
        assert "a bug in the list view" in report
        for secret in (new_key, old_key, db_password, django_settings.SECRET_KEY):
            assert secret not in report


def test_form_fields_named_like_secrets_are_hidden_on_every_error_page(rf):
    # A form post to a view marked with nothing: the names alone give the values away. (Values
    # made here, not written in this file, whose lines the report shows.)
    secrets = {name: uuid.uuid4().hex for name in ("password", "new_password1", "refresh_token")}
    request = rf.post("/admin/anything/", {"title": "A visible title", **secrets})
    try:
        raise RuntimeError("a view failed")
    except RuntimeError as error:
        reporter = ExceptionReporter(request, type(error), error, error.__traceback__)
    for report in (reporter.get_traceback_html(), reporter.get_traceback_text()):
        assert "A visible title" in report
        assert CLEANSED in report
        for value in secrets.values():
            assert value not in report
