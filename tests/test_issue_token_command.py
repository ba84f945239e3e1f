from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.helpers import bearer_client


@pytest.mark.django_db
def test_issue_token_prints_a_working_token(admin_user):
    out = StringIO()
    call_command("issue_token", "ADMIN@example.com", stdout=out)
    token = out.getvalue().strip()
    response = bearer_client(token).get("/api/auth/me/")
    assert response.status_code == 200
    assert response.json()["email"] == admin_user.email


@pytest.mark.django_db
def test_issue_token_refuses_unknown_and_non_admin_users(regular_user):
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_token", "nobody@example.com")
    with pytest.raises(CommandError, match="not an active admin"):
        call_command("issue_token", regular_user.email)
