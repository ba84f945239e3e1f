"""Django admin: a user's sessions on their page, and an action that ends selected sessions."""

import pytest

from accounts.models import EndReason, LoginSession, User
from tests.helpers import PASSWORD, bearer_client, login_pair

ME = "/api/auth/me/"


@pytest.fixture
def superuser_client(client, db):
    client.force_login(User.objects.create_superuser("root@example.com", PASSWORD))
    return client


@pytest.mark.django_db
def test_user_page_lists_their_sessions_read_only(superuser_client, admin_user):
    pair = login_pair(admin_user)
    LoginSession.objects.filter(pk=pair.session_id).update(
        user_agent="Phone/7", ip_address="10.2.3.4"
    )
    page = superuser_client.get(f"/admin/accounts/user/{admin_user.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phone/7" in html
    assert "10.2.3.4" in html
    assert 'name="login_sessions-0-user_agent"' not in html  # shown, not editable
    assert LoginSession.objects.get().refresh_token_hash not in html
    assert superuser_client.get("/admin/accounts/user/add/").status_code == 200


@pytest.mark.django_db
def test_admin_action_ends_the_selected_sessions_only(superuser_client, admin_user):
    lost, kept = login_pair(admin_user), login_pair(admin_user)
    response = superuser_client.post(
        "/admin/accounts/loginsession/",
        {"action": "end_sessions", "_selected_action": [str(lost.session_id)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 session ended." in response.content.decode()
    assert bearer_client(lost.access.value).get(ME).status_code == 401
    assert bearer_client(kept.access.value).get(ME).status_code == 200
    ended = LoginSession.objects.get(pk=lost.session_id)
    assert ended.end_reason == EndReason.ADMIN
    assert (
        superuser_client.post(
            "/api/auth/refresh/",
            {"refresh_token": lost.refresh.value},
            content_type="application/json",
        ).status_code
        == 401
    )


@pytest.mark.django_db
def test_session_admin_lists_and_shows_sessions_but_adds_none(superuser_client, admin_user):
    pair = login_pair(admin_user)
    listing = superuser_client.get("/admin/accounts/loginsession/?q=admin@")
    assert listing.status_code == 200
    assert admin_user.email in listing.content.decode()
    detail = superuser_client.get(f"/admin/accounts/loginsession/{pair.session_id}/change/")
    assert detail.status_code == 200
    assert pair.refresh.value not in detail.content.decode()
    assert superuser_client.get("/admin/accounts/loginsession/add/").status_code == 403
    actions = listing.context["action_form"].fields["action"].choices
    assert [name for name, _label in actions if name] == ["end_sessions"]


@pytest.mark.django_db
def test_deleting_a_user_with_sessions_in_the_admin_works_and_ends_their_tokens(
    superuser_client, admin_user
):
    pair = login_pair(admin_user)
    response = superuser_client.post(
        f"/admin/accounts/user/{admin_user.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=admin_user.pk).exists()
    assert not LoginSession.objects.exists()
    assert bearer_client(pair.access.value).get(ME).status_code == 401
