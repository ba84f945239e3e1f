"""manage.py purge_sessions: deletes sessions that ended or expired long ago, in batches."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import LoginSession
from tests.helpers import bearer_client, login_pair, override_jwt, run_manage


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
@pytest.mark.parametrize(
    "option",
    [
        ("--days", "-1"),
        ("--days", "99999999999"),
        ("--days", "\u0663\u0660"),  # 30 in Arabic-Indic digits
        ("--days", "3e1"),
        ("--batch-size", "0"),
        ("--batch-size", "99999999999999999999"),
        ("--batch-size", "+5"),
    ],
)
def test_purge_refuses_a_number_out_of_range_or_not_in_ascii_digits(option):
    with pytest.raises(CommandError, match="whole number from"):
        purge(*option)


def test_the_purge_commands_refuse_bad_numbers_on_the_command_line_with_a_usage_error(tmp_path):
    env = {"DJANGO_DEV_SECRETS_FILE": str(tmp_path / "secrets.json")}
    for command in ("purge_sessions", "purge_idempotency_keys"):
        result = run_manage(command, "--batch-size", "0", env=env)
        assert result.returncode == 2
        assert "whole number from 1 to 100000" in result.stderr
        assert "Traceback" not in result.stderr
