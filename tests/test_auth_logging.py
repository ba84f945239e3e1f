"""Failed logins and rejected tokens are logged with a reason, never with a token or password."""

import logging

import pytest

from tests.helpers import PASSWORD, access_token_for, bearer_client, forge_token


@pytest.mark.django_db
def test_logs_name_the_reason_but_never_a_token_or_password(caplog, api_client, admin_user):
    caplog.set_level(logging.DEBUG)
    good = access_token_for(admin_user)
    expired = forge_token(admin_user, exp=1, iat=0)
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")

    login = api_client.post("/api/auth/login/", {"email": admin_user.email, "password": PASSWORD})
    issued, refresh = login.json()["access_token"], login.json()["refresh_token"]
    api_client.post("/api/auth/login/", {"email": admin_user.email, "password": "Wrong-Secret-1"})
    for token in (good, expired, tampered, issued):
        bearer_client(token).get("/api/auth/me/")
    bearer_client(good).post("/api/auth/logout/")
    bearer_client(good).get("/api/auth/me/")
    api_client.post("/api/auth/refresh/", {"refresh_token": refresh})
    api_client.post("/api/auth/refresh/", {"refresh_token": refresh})

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Login failed for 'admin@example.com'" in text
    assert "Bearer token rejected: The token has expired." in text
    assert "Bearer token rejected: The token signature is invalid." in text
    assert f"Bearer token rejected for user {admin_user.pk}: The token's session has ended." in text
    for secret in (good, expired, tampered, issued, refresh, PASSWORD, "Wrong-Secret-1"):
        assert secret not in text
        for segment in secret.split(".")[1:]:
            if len(segment) > 20:
                assert segment not in text
