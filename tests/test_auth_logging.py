"""Failed logins and rejected tokens are logged with a reason, never with a token or password."""

import logging

import pytest
from django.utils import timezone

from accounts.models import LoginSession, User
from tests.helpers import PASSWORD, access_token_for, bearer_client, forge_token, login_pair


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


def accounts_records(caplog) -> list[tuple[str, int, str]]:
    return [record for record in caplog.record_tuples if record[0].startswith("accounts.")]


@pytest.mark.django_db
def test_ended_sessions_and_password_changes_are_logged_with_who_and_why(caplog, admin_user):
    caplog.set_level(logging.INFO, logger="accounts")
    kept, other = login_pair(admin_user), login_pair(admin_user)
    client = bearer_client(kept.access.value)
    changed = client.post(
        "/api/auth/password/", {"current_password": PASSWORD, "new_password": "A-new-passphrase-77"}
    )
    assert changed.status_code == 204
    assert client.post("/api/auth/logout/").status_code == 204
    bearer_client(other.access.value).get("/api/auth/me/")
    assert accounts_records(caplog) == [
        ("accounts.services", logging.INFO, "1 session(s) ended (password_change)"),
        ("accounts.services", logging.INFO, f"Password changed for user {admin_user.pk}"),
        ("accounts.services", logging.INFO, "1 session(s) ended (logout)"),
        (
            "accounts.authentication",
            logging.WARNING,
            f"Bearer token rejected for user {admin_user.pk}: The token's session has ended.",
        ),
    ]


@pytest.mark.django_db
def test_a_rejected_token_without_claims_is_logged_with_its_reason(caplog):
    caplog.set_level(logging.WARNING, logger="accounts")
    bearer_client("garbage").get("/api/auth/me/")
    assert accounts_records(caplog) == [
        (
            "accounts.authentication",
            logging.WARNING,
            "Bearer token rejected: The token is malformed.",
        )
    ]


def _end_session(user, pair):
    bearer_client(pair.access.value).post("/api/auth/logout/")


def _deactivate(user, pair):
    # QuerySet.update: no save(), so the session lives on and the per-request read must refuse.
    User.objects.filter(pk=user.pk).update(is_active=False)


def _rename(user, pair):
    User.objects.filter(pk=user.pk).update(email="renamed@example.com")


def _delete_session(user, pair):
    LoginSession.objects.filter(pk=pair.session_id).delete()


def _expire_session(user, pair):
    LoginSession.objects.filter(pk=pair.session_id).update(idle_expires_at=timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [_delete_session, _deactivate, _rename, _end_session, _expire_session],
    ids=["unknown-session", "inactive", "renamed", "ended", "expired"],
)
def test_a_refused_token_of_a_known_user_is_logged_with_the_user_and_the_reason(
    caplog, admin_user, change
):
    pair = login_pair(admin_user)
    change(admin_user, pair)
    caplog.set_level(logging.WARNING, logger="accounts")
    caplog.clear()
    response = bearer_client(pair.access.value).get("/api/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    reason = response.json()["detail"]
    assert response["WWW-Authenticate"].endswith(f'error_description="{reason}"')
    assert accounts_records(caplog) == [
        (
            "accounts.authentication",
            logging.WARNING,
            f"Bearer token rejected for user {admin_user.pk}: {reason}",
        )
    ]


@pytest.mark.django_db
def test_logins_are_logged_with_the_user_or_the_email_typed(caplog, api_client, admin_user):
    caplog.set_level(logging.INFO, logger="accounts")
    api_client.post("/api/auth/login/", {"email": "Nobody@Example.com", "password": PASSWORD})
    api_client.post("/api/auth/login/", {"email": admin_user.email, "password": PASSWORD})
    assert accounts_records(caplog) == [
        ("accounts.services", logging.INFO, "Login failed for 'Nobody@Example.com'"),
        ("accounts.services", logging.INFO, f"Login succeeded for user {admin_user.pk}"),
    ]
