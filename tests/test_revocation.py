"""Tokens stop working the moment their user logs out or changes in a way that matters."""

import pytest

from accounts.models import User
from accounts.tokens import issue_access_token
from tests.helpers import PASSWORD, bearer_client

ME = "/api/auth/me/"
REVOKED = (
    'Bearer realm="api", error="invalid_token", error_description="The token has been revoked."'
)


def status_with(token: str) -> int:
    return bearer_client(token).get(ME).status_code


@pytest.mark.django_db
def test_logout_revokes_every_token_of_that_user(admin_user, api_client):
    first = issue_access_token(admin_user).value
    second = api_client.post(
        "/api/auth/login/", {"email": admin_user.email, "password": PASSWORD}
    ).json()["access_token"]
    other_admin = User.objects.create_user("other@example.com", PASSWORD, is_staff=True)
    other_token = issue_access_token(other_admin).value

    response = bearer_client(first).post("/api/auth/logout/")
    assert response.status_code == 204
    assert response.content == b""

    for token in (first, second):
        denied = bearer_client(token).get(ME)
        assert denied.status_code == 401
        assert denied["WWW-Authenticate"] == REVOKED
    assert status_with(other_token) == 200
    fresh = api_client.post("/api/auth/login", {"email": admin_user.email, "password": PASSWORD})
    assert status_with(fresh.json()["access_token"]) == 200


@pytest.mark.django_db
def test_logout_needs_a_valid_admin_token(api_client, regular_user):
    assert api_client.post("/api/auth/logout/").status_code == 401
    non_admin = bearer_client(issue_access_token(regular_user).value)
    assert non_admin.post("/api/auth/logout").status_code == 403


@pytest.mark.django_db
def test_deleted_user_token_is_refused(admin_user, admin_token):
    admin_user.delete()
    response = bearer_client(admin_token).get(ME)
    assert response.status_code == 401
    assert "unknown or inactive" in response["WWW-Authenticate"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("is_active", False, "unknown or inactive"),
        ("email", "renamed@example.com", "has been revoked"),
        ("is_staff", False, "has been revoked"),
    ],
)
def test_changed_account_refuses_earlier_tokens(admin_user, admin_token, field, value, reason):
    setattr(admin_user, field, value)
    admin_user.save()
    response = bearer_client(admin_token).get(ME)
    assert response.status_code == 401
    assert reason in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_changed_password_revokes_tokens(admin_user, admin_token):
    admin_user.set_password("a brand new passphrase")
    admin_user.save(update_fields=["password"])
    assert status_with(admin_token) == 401


@pytest.mark.django_db
def test_non_admin_after_losing_staff_status_gets_403_with_a_new_token(admin_user):
    admin_user.is_staff = False
    admin_user.save()
    assert status_with(issue_access_token(admin_user).value) == 403


@pytest.mark.django_db
def test_unrelated_save_keeps_tokens_valid(admin_user, admin_token):
    admin_user.is_superuser = True
    admin_user.save()
    assert status_with(admin_token) == 200


@pytest.mark.django_db
def test_stale_copy_saved_after_logout_does_not_revive_old_tokens(admin_user, admin_token):
    stale = User.objects.get(pk=admin_user.pk)
    assert bearer_client(admin_token).post("/api/auth/logout/").status_code == 204
    stale.is_superuser = True
    stale.save()
    assert status_with(admin_token) == 401


@pytest.mark.django_db
def test_password_change_through_django_admin_revokes_tokens(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    token = issue_access_token(admin_user).value
    client.force_login(admin_user)
    response = client.post(
        f"/admin/accounts/user/{admin_user.pk}/password/",
        {
            "password1": "another-Long-passphrase-7",
            "password2": "another-Long-passphrase-7",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.check_password("another-Long-passphrase-7")
    assert status_with(token) == 401
