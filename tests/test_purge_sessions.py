"""manage.py purge_sessions: deletes sessions that ended or expired long ago, in batches."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import LoginSession
from tests.helpers import bearer_client, login_pair, override_jwt


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_sessions", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_purge_deletes_only_long_ended_or_expired_sessions(admin_user, settings):
    override_jwt(settings, REFRESH_TOKEN_LIFETIME=86400, SESSION_MAX_AGE=3 * 86400)
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=40), tick=False):
        ended_long_ago = login_pair(admin_user)
        bearer_client(ended_long_ago.access.value).post("/api/auth/logout/")
        idle_long_ago = login_pair(admin_user)  # idle expiry 39 days ago
    with time_machine.travel(start - timedelta(days=2), tick=False):
        ended_recently = login_pair(admin_user)
        bearer_client(ended_recently.access.value).post("/api/auth/logout/")
    live = login_pair(admin_user)

    with time_machine.travel(start, tick=False):
        first = purge("--days", "30", "--batch-size", "1")
        second = purge("--days", "30")
    assert "Deleted 2 login session(s)" in first
    assert "Deleted 0 login session(s)" in second
    remaining = set(LoginSession.objects.values_list("pk", flat=True))
    assert remaining == {ended_recently.session_id, live.session_id}
    assert ended_long_ago.session_id not in remaining
    assert idle_long_ago.session_id not in remaining
    assert bearer_client(live.access.value).get("/api/auth/me/").status_code == 200


@pytest.mark.django_db
def test_purge_with_zero_days_removes_every_ended_session(admin_user):
    ended = login_pair(admin_user)
    bearer_client(ended.access.value).post("/api/auth/logout/")
    live = login_pair(admin_user)
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        assert "Deleted 1 login session(s)" in purge("--days", "0")
    assert list(LoginSession.objects.values_list("pk", flat=True)) == [live.session_id]


@pytest.mark.django_db
def test_purge_refuses_nonsense_options():
    with pytest.raises(CommandError):
        purge("--days", "-1")
    with pytest.raises(CommandError):
        purge("--batch-size", "0")
