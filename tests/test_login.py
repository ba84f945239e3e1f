"""POST /api/auth/login/: email and password in, a signed bearer token out."""

import hashlib
import re

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.signals import user_login_failed

from accounts.models import LoginSession, User
from accounts.tokens import REQUIRED_CLAIMS
from tests.helpers import PASSWORD, TOKEN_PAIR_KEYS

LOGIN = "/api/auth/login/"


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["admin@example.com", "ADMIN@Example.com", " admin@example.com "])
def test_admin_logs_in_with_email_in_any_case(api_client, admin_user, email):
    response = api_client.post(LOGIN, {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOKEN_PAIR_KEYS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.JWT["ACCESS_TOKEN_LIFETIME"] == 900
    assert body["refresh_expires_in"] == settings.JWT["REFRESH_TOKEN_LIFETIME"] == 14 * 86400
    assert response["Cache-Control"] == "no-store"

    kid, key = settings.JWT["SIGNING_KEYS"][0]
    assert jwt.get_unverified_header(body["access_token"]) == {
        "alg": "HS256",
        "typ": "JWT",
        "kid": kid,
    }
    claims = jwt.decode(
        body["access_token"],
        key,
        algorithms=["HS256"],
        audience=settings.JWT["AUDIENCE"],
        issuer=settings.JWT["ISSUER"],
    )
    assert set(claims) == set(REQUIRED_CLAIMS)
    assert claims["sub"] == str(admin_user.pk)
    assert claims["email"] == "admin@example.com"
    assert claims["exp"] - claims["iat"] == settings.JWT["ACCESS_TOKEN_LIFETIME"]
    session = LoginSession.objects.get(user=admin_user)
    assert claims["sid"] == str(session.pk)
    assert session.refresh_token_hash == hashlib.sha256(body["refresh_token"].encode()).hexdigest()
    assert body["refresh_token"] not in str(
        LoginSession.objects.filter(pk=session.pk).values().get()
    )
    assert PASSWORD not in str(claims)


@pytest.mark.django_db
def test_each_token_has_its_own_jti(api_client, admin_user):
    tokens = [
        api_client.post(LOGIN, {"email": admin_user.email, "password": PASSWORD}).json()
        for _ in range(2)
    ]
    ids = {
        jwt.decode(t["access_token"], options={"verify_signature": False})["jti"] for t in tokens
    }
    assert len(ids) == 2
    # docs/explanation/security-model.md: 16 random bytes, base64url without padding.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", jti) for jti in ids), ids


@pytest.mark.django_db
def test_wrong_password_unknown_email_and_inactive_user_get_the_same_401(api_client, admin_user):
    User.objects.create_user("gone@example.com", PASSWORD, is_staff=True, is_active=False)
    attempts = [
        {"email": admin_user.email, "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "gone@example.com", "password": PASSWORD},
    ]
    responses = [api_client.post(LOGIN, body, format="json") for body in attempts]
    assert [r.status_code for r in responses] == [401, 401, 401]
    assert len({r.content for r in responses}) == 1
    assert responses[0].json()["code"] == "invalid_credentials"
    assert all(r["WWW-Authenticate"] == 'Bearer realm="api"' for r in responses)


@pytest.mark.django_db
def test_non_admin_gets_a_token(api_client, regular_user):
    response = api_client.post(LOGIN, {"email": regular_user.email, "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        ('{"password": "x"}', "application/json", "email"),
        ('{"email": "admin@example.com"}', "application/json", "password"),
        ('{"email": ["admin@example.com"], "password": "x"}', "application/json", "email"),
        ('{"email": 42, "password": "x"}', "application/json", "email"),
        ('{"email": "admin@example.com", "password": null}', "application/json", "password"),
        ('{"email": "not-an-email", "password": "x"}', "application/json", "email"),
    ],
)
def test_malformed_body_is_a_400_naming_the_field(
    api_client, admin_user, body, content_type, field
):
    response = api_client.generic("POST", LOGIN, body, content_type=content_type)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2, 3]", "application/json", 400),
        ('"just a string"', "application/json", 400),
        ("email=admin@example.com&password=x", "application/x-www-form-urlencoded", 415),
        ("", "application/json", 400),
    ],
)
def test_unparseable_body_is_a_4xx(api_client, admin_user, body, content_type, status):
    response = api_client.generic("POST", LOGIN, body, content_type=content_type)
    assert response.status_code == status
    assert isinstance(response.json(), dict)


@pytest.mark.django_db
def test_megabyte_password_is_refused_without_a_5xx(api_client, admin_user):
    response = api_client.post(
        LOGIN, {"email": admin_user.email, "password": "x" * 1_000_000}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()
    assert "xxxx" not in response.content.decode()


@pytest.mark.django_db
def test_login_answers_get_with_405(api_client):
    assert api_client.get(LOGIN).status_code == 405


@pytest.mark.django_db
def test_a_failed_login_tells_djangos_signal_receivers_with_the_request(api_client, admin_user):
    # Audit apps (django-axes among them) listen to user_login_failed for the client's request.
    received = []

    def receiver(sender, credentials, request, **kwargs):
        received.append((credentials, request.META["REMOTE_ADDR"], request.path))

    user_login_failed.connect(receiver)
    try:
        response = api_client.post(
            LOGIN, {"email": admin_user.email, "password": "wrong"}, REMOTE_ADDR="192.0.2.8"
        )
    finally:
        user_login_failed.disconnect(receiver)
    assert response.status_code == 401
    # Django masks the password in what it sends.
    assert received == [
        ({"email": admin_user.email, "password": "********************"}, "192.0.2.8", LOGIN)
    ]
