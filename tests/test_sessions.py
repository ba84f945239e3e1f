"""Login sessions through HTTP: refresh with rotation and reuse detection, per-device logout,
logout everywhere, the session list, password change, expiry
(docs/explanation/sessions-and-revocation.md)."""

import io
import logging
import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.models import EndReason, LoginSession, User
from tests.helpers import (
    PASSWORD,
    TOKEN_PAIR_KEYS,
    bearer_client,
    forge_token,
    login_pair,
    override_jwt,
)

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
ME = "/api/auth/me/"
SESSIONS = "/api/auth/sessions/"
PASSWORD_CHANGE = "/api/auth/password/"
NEW_PASSWORD = "a-Different-passphrase-42"

# No session has this id (parameters are fixed at collection, the same in every process).
UNKNOWN_SESSION = uuid.UUID("4b0f5c3e-8f6a-4e1d-9c2b-7a6e5d4c3b2a")


def me_status(access_token: str) -> int:
    return bearer_client(access_token).get(ME).status_code


def refresh(client, refresh_token: str):
    return client.post(REFRESH, {"refresh_token": refresh_token})


def login(client, email: str, password: str = PASSWORD, **extra):
    response = client.post(LOGIN, {"email": email, "password": password}, **extra)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def now():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


# Login and refresh


@pytest.mark.django_db
def test_login_starts_a_session_with_the_device_and_address_the_throttle_sees(
    api_client, admin_user, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    body = login(
        api_client,
        admin_user.email,
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.20",
        HTTP_USER_AGENT="Phone/1.0 " + "x" * 400,
    )
    assert set(body) == TOKEN_PAIR_KEYS
    session = LoginSession.objects.get(user=admin_user)
    assert session.ip_address == "198.51.100.20"
    assert session.user_agent == ("Phone/1.0 " + "x" * 400)[:255]
    assert session.ended_at is None
    assert session.expires_at - session.created_at == timedelta(days=30)
    assert session.idle_expires_at - session.created_at == timedelta(days=14)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("forwarded", "agent", "stored"),
    [
        ("not-an-address", "Agent\x00/1", (None, "Agent/1")),
        ("fe80::1%eth0", "", (None, "")),
        ("2001:db8::7", "A", ("2001:db8::7", "A")),
    ],
)
def test_login_stores_only_what_the_columns_can_hold(
    api_client, admin_user, settings, forwarded, agent, stored
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    login(api_client, admin_user.email, HTTP_X_FORWARDED_FOR=forwarded, HTTP_USER_AGENT=agent)
    session = LoginSession.objects.get()
    assert (session.ip_address, session.user_agent) == stored


@pytest.mark.django_db
def test_a_refresh_token_is_the_session_id_and_256_random_bits(api_client, admin_user):
    # docs/explanation/sessions-and-revocation.md: 32 hex digits, a dot, 32 random bytes in
    # base64url (43 characters).
    tokens = {login(api_client, admin_user.email)["refresh_token"] for _ in range(2)}
    assert len(tokens) == 2
    session_ids = {session.pk.hex for session in LoginSession.objects.all()}
    for token in tokens:
        session_hex, _, secret = token.partition(".")
        assert session_hex in session_ids
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret), token


@pytest.mark.django_db
def test_refresh_consumes_the_token_and_returns_a_working_pair(api_client, admin_user, now):
    first = login(api_client, admin_user.email)
    now.shift(60)
    response = refresh(api_client, first["refresh_token"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    second = response.json()
    assert set(second) == TOKEN_PAIR_KEYS
    assert second["token_type"] == "Bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_expires_in"] == 14 * 86400
    assert me_status(second["access_token"]) == 200
    assert me_status(first["access_token"]) == 200  # same session: still good until it expires
    session = LoginSession.objects.get()
    assert session.last_used_at == session.created_at + timedelta(seconds=60)
    assert session.idle_expires_at == session.last_used_at + timedelta(days=14)
    # The new refresh token works in turn.
    assert refresh(api_client, second["refresh_token"]).status_code == 200


@pytest.mark.django_db
def test_requests_do_not_write_last_used(admin_user, now):
    pair = login_pair(admin_user)
    used = LoginSession.objects.get().last_used_at
    now.shift(120)
    with CaptureQueriesContext(connection) as queries:
        assert me_status(pair.access.value) == 200
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]
    assert LoginSession.objects.get().last_used_at == used


@pytest.mark.django_db
def test_authentication_is_one_query_of_the_session_joined_to_its_user(admin_token):
    with CaptureQueriesContext(connection) as queries:
        assert me_status(admin_token) == 200
    (query,) = queries.captured_queries
    sql = query["sql"]
    assert "accounts_loginsession" in sql
    assert "JOIN" in sql
    assert "accounts_user" in sql


@pytest.mark.django_db
def test_a_refresh_is_one_read_of_the_session_joined_to_its_user_one_update_and_one_record(
    api_client, admin_user
):
    pair = login(api_client, admin_user.email)
    with CaptureQueriesContext(connection) as queries:
        assert refresh(api_client, pair["refresh_token"]).status_code == 200
    statements = [
        query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]
    ]
    read, update, record = statements
    assert read.startswith("SELECT")
    assert "JOIN" in read
    assert "accounts_user" in read
    assert update.startswith("UPDATE")
    assert record.startswith('INSERT INTO "accounts_consumedrefreshtoken"')


@pytest.mark.django_db
def test_consumed_token_within_the_grace_window_is_refused_without_ending_the_session(
    api_client, admin_user, now
):
    first = login(api_client, admin_user.email)
    second = refresh(api_client, first["refresh_token"]).json()
    now.shift(9)
    again = refresh(api_client, first["refresh_token"])
    assert again.status_code == 401
    assert again.json()["code"] == "refresh_invalid"
    assert me_status(second["access_token"]) == 200
    assert refresh(api_client, second["refresh_token"]).status_code == 200
    assert LoginSession.objects.get().ended_at is None


@pytest.mark.django_db
def test_consumed_token_after_the_grace_window_ends_the_session(
    api_client, admin_user, now, caplog
):
    first = login(api_client, admin_user.email)
    second = refresh(api_client, first["refresh_token"]).json()
    now.shift(11)
    caplog.set_level(logging.WARNING, logger="accounts")
    reused = refresh(api_client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_invalid"
    session = LoginSession.objects.get()
    assert (session.ended_at, session.end_reason) == (timezone.now(), EndReason.REFRESH_REUSE)
    for token in (first["access_token"], second["access_token"]):
        response = bearer_client(token).get(ME)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
        assert response.json()["code"] == "token_revoked"
    assert refresh(api_client, second["refresh_token"]).status_code == 401
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        f"Refresh token reuse for session {session.pk} of user {admin_user.pk}: session ended"
        in warnings
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for token in (first["refresh_token"], second["refresh_token"]):
        assert token.split(".")[1] not in logged


@pytest.mark.django_db
def test_consumed_token_at_the_last_second_of_the_grace_window_ends_nothing(
    api_client, admin_user, now
):
    first = login(api_client, admin_user.email)
    refresh(api_client, first["refresh_token"])
    now.shift(10)  # JWT_REFRESH_REUSE_GRACE: 10 s, inclusive
    again = refresh(api_client, first["refresh_token"])
    assert again.json()["code"] == "refresh_invalid"
    assert LoginSession.objects.get().ended_at is None


def _interleave(monkeypatch, between):
    """Run ``between`` right after session_refresh's first read of the session: what a
    concurrent request would do between that read and the conditional UPDATE."""
    real = services.session_get_for_refresh
    calls = []

    def read_then_interfere(*, session_id):
        session = real(session_id=session_id)
        calls.append(session_id)
        if len(calls) == 1:
            between()
        return session

    monkeypatch.setattr(services, "session_get_for_refresh", read_then_interfere)


@pytest.mark.django_db
def test_of_two_racing_refreshes_of_one_token_exactly_one_wins(api_client, admin_user, monkeypatch):
    pair = login(api_client, admin_user.email)
    winner = {}
    _interleave(
        monkeypatch, lambda: winner.update(refresh(api_client, pair["refresh_token"]).json())
    )
    loser = refresh(api_client, pair["refresh_token"])
    assert loser.status_code == 401
    assert loser.json()["code"] == "refresh_invalid"
    assert me_status(winner["access_token"]) == 200
    assert LoginSession.objects.get().ended_at is None


@pytest.mark.django_db
def test_a_refresh_racing_a_logout_is_refused(api_client, admin_user, monkeypatch):
    pair = login(api_client, admin_user.email)
    _interleave(monkeypatch, lambda: bearer_client(pair["access_token"]).post("/api/auth/logout/"))
    response = refresh(api_client, pair["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_invalid"
    assert LoginSession.objects.get().end_reason == EndReason.LOGOUT


@pytest.mark.django_db
def test_grace_window_is_configurable(api_client, admin_user, now, settings):
    override_jwt(settings, REFRESH_REUSE_GRACE=0)
    first = login(api_client, admin_user.email)
    refresh(api_client, first["refresh_token"])
    now.shift(1)
    assert refresh(api_client, first["refresh_token"]).status_code == 401
    assert LoginSession.objects.get().end_reason == EndReason.REFRESH_REUSE


@pytest.mark.django_db
def test_a_token_consumed_two_rotations_ago_ends_the_session_even_inside_the_grace_window(
    api_client, admin_user
):
    first = login(api_client, admin_user.email)
    second = refresh(api_client, first["refresh_token"]).json()
    third = refresh(api_client, second["refresh_token"]).json()
    assert refresh(api_client, first["refresh_token"]).status_code == 401
    assert me_status(third["access_token"]) == 401
    assert LoginSession.objects.get().end_reason == EndReason.REFRESH_REUSE


@pytest.mark.django_db
def test_refresh_token_is_not_an_access_token(api_client, admin_user):
    pair = login(api_client, admin_user.email)
    response = bearer_client(pair["refresh_token"]).get(ME)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert pair["refresh_token"] not in response.content.decode()


@pytest.mark.django_db
def test_access_token_is_not_a_refresh_token(api_client, admin_user):
    pair = login(api_client, admin_user.email)
    response = refresh(api_client, pair["access_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_invalid"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert me_status(pair["access_token"]) == 200  # and nothing ended


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        f"{UNKNOWN_SESSION.hex}.made-up-secret",  # a session that does not exist
        "é" * 10,
        "x" * 300,
        f"{'g' * 32}.made-up-secret",  # not hexadecimal
        f"{UNKNOWN_SESSION.hex.upper()}.made-up-secret",
    ],
)
def test_unknown_refresh_tokens_are_401(api_client, token):
    response = refresh(api_client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("secret", ["s" * (256 - 33), "a.b", "a." + "s" * 40])
@pytest.mark.parametrize("refreshed", [False, True])
def test_a_guessed_secret_for_a_live_session_is_refused_and_ends_nothing(
    api_client, admin_user, secret, refreshed
):
    # Anyone who saw an access token knows its session's id (sid): <session hex>.<guess> was
    # never a token of the session, so it is no reuse, even of a session whose earlier tokens
    # were consumed. The answer is the unknown session's.
    pair = login(api_client, admin_user.email)
    if refreshed:
        pair = refresh(api_client, pair["refresh_token"]).json()
    session_hex = uuid.UUID(pair["refresh_token"].split(".")[0]).hex
    response = refresh(api_client, f"{session_hex}.{secret}")
    unknown = refresh(api_client, f"{UNKNOWN_SESSION.hex}.{secret}")
    assert (response.status_code, response.content) == (401, unknown.content)
    assert response.json()["code"] == "refresh_invalid"
    assert LoginSession.objects.get().ended_at is None
    assert refresh(api_client, pair["refresh_token"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["." + "s" * (257 - 33), ".", "", "s"])
def test_a_token_not_shaped_like_ours_is_not_valid_and_ends_nothing(api_client, admin_user, suffix):
    pair = login(api_client, admin_user.email)
    session_hex = pair["refresh_token"].split(".")[0]
    response = refresh(api_client, session_hex + suffix)
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_invalid"
    assert me_status(pair["access_token"]) == 200
    assert LoginSession.objects.get().ended_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": ["x"]}, []])
def test_malformed_refresh_body_is_400(api_client, body):
    response = api_client.post(REFRESH, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_refresh_is_throttled_per_address(api_client):
    statuses = [
        api_client.post(REFRESH, {"refresh_token": "junk"}, REMOTE_ADDR="10.9.0.1").status_code
        for _ in range(30)
    ]
    assert statuses == [401] * 30
    blocked = api_client.post(REFRESH, {"refresh_token": "junk"}, REMOTE_ADDR="10.9.0.1")
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 60
    other = api_client.post(REFRESH, {"refresh_token": "junk"}, REMOTE_ADDR="10.9.0.2")
    assert other.status_code == 401


@pytest.mark.django_db
def test_refresh_of_a_deactivated_user_is_refused(api_client, admin_user):
    pair = login(api_client, admin_user.email)
    User.objects.filter(pk=admin_user.pk).update(is_active=False)  # bypasses save(): no ending
    response = refresh(api_client, pair["refresh_token"])
    assert response.status_code == 401
    assert "log in again" in response.json()["detail"]


@pytest.mark.django_db
def test_a_session_of_another_user_in_the_token_is_refused(admin_user):
    other = User.objects.create_user("other@example.com", PASSWORD, is_staff=True)
    token = forge_token(admin_user, sid=str(login_pair(other).session_id))
    response = bearer_client(token).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


@pytest.mark.django_db
@pytest.mark.parametrize("sid", [None, 7, "not-a-uuid", str(UNKNOWN_SESSION).upper()])
def test_a_missing_or_malformed_sid_claim_is_refused(admin_user, sid):
    token = (
        forge_token(admin_user, drop=("sid",)) if sid is None else forge_token(admin_user, sid=sid)
    )
    response = bearer_client(token).get(ME)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


# Expiry


@pytest.mark.django_db
def test_idle_session_expires_when_not_refreshed(api_client, admin_user, now, settings):
    override_jwt(settings, ACCESS_TOKEN_LIFETIME=3600, REFRESH_TOKEN_LIFETIME=60)
    pair = login(api_client, admin_user.email)
    now.shift(59)
    kept = refresh(api_client, pair["refresh_token"]).json()  # idle expiry moves to t=119
    now.shift(59)
    assert me_status(kept["access_token"]) == 200
    now.shift(2)
    response = bearer_client(kept["access_token"]).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert refresh(api_client, kept["refresh_token"]).status_code == 401
    assert bearer_client(pair["access_token"]).get(SESSIONS).status_code == 401


@pytest.mark.django_db
def test_a_session_ends_at_the_very_instant_it_expires(api_client, admin_user, now, settings):
    override_jwt(
        settings, ACCESS_TOKEN_LIFETIME=3600, REFRESH_TOKEN_LIFETIME=60, SESSION_MAX_AGE=100
    )
    idle = login(api_client, admin_user.email)  # idle expiry at t=60
    aged = login(api_client, admin_user.email)
    now.shift(50)
    aged = refresh(api_client, aged["refresh_token"]).json()  # idle at t=110, its age ends at 100
    now.shift(10)
    response = bearer_client(idle["access_token"]).get(ME)
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
    assert me_status(aged["access_token"]) == 200
    now.shift(40)
    response = bearer_client(aged["access_token"]).get(ME)
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


@pytest.mark.django_db
def test_session_ends_at_its_absolute_age_whatever_the_refreshes(
    api_client, admin_user, now, settings
):
    override_jwt(
        settings, ACCESS_TOKEN_LIFETIME=3600, REFRESH_TOKEN_LIFETIME=100, SESSION_MAX_AGE=150
    )
    pair = login(api_client, admin_user.email)
    assert pair["refresh_expires_in"] == 100
    now.shift(90)
    pair = refresh(api_client, pair["refresh_token"]).json()
    assert pair["refresh_expires_in"] == 60  # capped by the absolute age
    now.shift(61)
    assert me_status(pair["access_token"]) == 401
    assert refresh(api_client, pair["refresh_token"]).status_code == 401


@pytest.mark.django_db
def test_refresh_expires_in_rounds_up_what_is_left(api_client, admin_user, now, settings):
    override_jwt(settings, REFRESH_TOKEN_LIFETIME=200, SESSION_MAX_AGE=150)
    pair = login(api_client, admin_user.email)
    assert pair["refresh_expires_in"] == 150
    now.shift(149.5)  # half a second of the session's absolute age is left
    pair = refresh(api_client, pair["refresh_token"]).json()
    assert pair["refresh_expires_in"] == 1


# Logout, logout everywhere, the session list


@pytest.mark.django_db
def test_session_list_leaves_out_idle_and_aged_out_sessions(api_client, admin_user, now, settings):
    override_jwt(
        settings, ACCESS_TOKEN_LIFETIME=3600, REFRESH_TOKEN_LIFETIME=60, SESSION_MAX_AGE=100
    )
    aged = login(api_client, admin_user.email, HTTP_USER_AGENT="Aged")  # ends at t=100
    now.shift(30)
    login(api_client, admin_user.email, HTTP_USER_AGENT="Idle")  # idle from t=90
    now.shift(20)
    refresh(api_client, aged["refresh_token"])  # idle expiry t=110, but its age ends it at 100
    mine = login(api_client, admin_user.email, HTTP_USER_AGENT="Mine")
    now.shift(51)
    response = bearer_client(mine["access_token"]).get(SESSIONS)
    assert [session["user_agent"] for session in response.json()] == ["Mine"]


@pytest.mark.django_db
def test_logout_ends_only_this_device(api_client, admin_user):
    phone = login(api_client, admin_user.email, HTTP_USER_AGENT="Phone")
    laptop = login(api_client, admin_user.email, HTTP_USER_AGENT="Laptop")
    response = bearer_client(phone["access_token"]).post("/api/auth/logout/")
    assert (response.status_code, response.content) == (204, b"")

    assert me_status(phone["access_token"]) == 401
    assert refresh(api_client, phone["refresh_token"]).status_code == 401
    assert me_status(laptop["access_token"]) == 200
    renewed = refresh(api_client, laptop["refresh_token"])
    assert renewed.status_code == 200
    assert me_status(renewed.json()["access_token"]) == 200
    ended = LoginSession.objects.get(user_agent="Phone")
    assert ended.end_reason == EndReason.LOGOUT


@pytest.mark.django_db
def test_logout_all_ends_every_session_of_the_user_only(api_client, admin_user):
    other = User.objects.create_user("other@example.com", PASSWORD, is_staff=True)
    others = login_pair(other)
    first = login(api_client, admin_user.email)
    second = login(api_client, admin_user.email)
    response = bearer_client(first["access_token"]).post("/api/auth/logout/all")
    assert response.status_code == 204
    for pair in (first, second):
        assert me_status(pair["access_token"]) == 401
        assert refresh(api_client, pair["refresh_token"]).status_code == 401
    assert me_status(others.access.value) == 200
    assert set(
        LoginSession.objects.filter(user=admin_user).values_list("end_reason", flat=True)
    ) == {EndReason.LOGOUT_ALL}
    fresh = login(api_client, admin_user.email)
    assert me_status(fresh["access_token"]) == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/logout/all/", SESSIONS, PASSWORD_CHANGE])
def test_session_operations_need_a_token_of_any_user(api_client, regular_user, path):
    method = api_client.get if path == SESSIONS else api_client.post
    assert method(path).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_pair(regular_user).access.value}")
    # Their own sessions and password: no admin needed (an empty password body is a 400).
    assert method(path).status_code == (
        400 if path == PASSWORD_CHANGE else 200 if path == SESSIONS else 204
    )


@pytest.mark.django_db
def test_session_list_shows_my_live_sessions_and_marks_this_one(api_client, admin_user, now):
    other = User.objects.create_user("other@example.com", PASSWORD, is_staff=True)
    login_pair(other)
    phone = login(api_client, admin_user.email, HTTP_USER_AGENT="Phone", REMOTE_ADDR="10.1.1.1")
    now.shift(5)
    laptop = login(api_client, admin_user.email, HTTP_USER_AGENT="Laptop", REMOTE_ADDR="10.1.1.2")
    now.shift(5)
    gone = login(api_client, admin_user.email, HTTP_USER_AGENT="Gone")
    bearer_client(gone["access_token"]).post("/api/auth/logout/")

    response = bearer_client(laptop["access_token"]).get("/api/auth/sessions")
    assert response.status_code == 200
    body = response.json()
    assert [(s["user_agent"], s["ip_address"], s["current"]) for s in body] == [
        ("Laptop", "10.1.1.2", True),
        ("Phone", "10.1.1.1", False),
    ]
    phone_session = LoginSession.objects.get(user_agent="Phone")
    assert body[1] == {
        "id": str(phone_session.pk),
        "created_at": phone_session.created_at.isoformat().replace("+00:00", "Z"),
        "last_used_at": phone_session.last_used_at.isoformat().replace("+00:00", "Z"),
        "expires_at": phone_session.idle_expires_at.isoformat().replace("+00:00", "Z"),
        "user_agent": "Phone",
        "ip_address": "10.1.1.1",
        "current": False,
    }
    assert phone["refresh_token"] not in response.content.decode()
    assert "hash" not in response.content.decode()


@pytest.mark.django_db
def test_sessions_started_without_a_user_agent_list_none(api_client, admin_user):
    # Django's test client sends no User-Agent; `manage.py issue_token` has no request at all.
    login(api_client, admin_user.email)
    printed = io.StringIO()
    call_command("issue_token", admin_user.email, stdout=printed)
    response = bearer_client(printed.getvalue().strip()).get("/api/auth/sessions")
    assert response.status_code == 200
    body = response.json()
    assert [(s["user_agent"], s["ip_address"], s["current"]) for s in body] == [
        ("", None, True),
        ("", "127.0.0.1", False),
    ]
    # A new session was last used when it was created, to the microsecond.
    assert all(s["last_used_at"] == s["created_at"] for s in body), body


@pytest.mark.django_db
def test_deleting_a_session_ends_it_and_leaves_mine(api_client, admin_user):
    phone = login(api_client, admin_user.email, HTTP_USER_AGENT="Phone")
    laptop = login(api_client, admin_user.email, HTTP_USER_AGENT="Laptop")
    phone_id = LoginSession.objects.get(user_agent="Phone").pk
    response = bearer_client(laptop["access_token"]).delete(f"{SESSIONS}{phone_id}/")
    assert (response.status_code, response.content) == (204, b"")
    assert me_status(phone["access_token"]) == 401
    assert refresh(api_client, phone["refresh_token"]).status_code == 401
    assert me_status(laptop["access_token"]) == 200
    assert LoginSession.objects.get(pk=phone_id).end_reason == EndReason.REMOTE_LOGOUT
    # Already ended: it is no longer one of my sessions.
    again = bearer_client(laptop["access_token"]).delete(f"{SESSIONS}{phone_id}")
    assert again.status_code == 404


@pytest.mark.django_db
def test_deleting_my_current_session_logs_me_out(admin_user):
    pair = login_pair(admin_user)
    client = bearer_client(pair.access.value)
    assert client.delete(f"{SESSIONS}{pair.session_id}/").status_code == 204
    assert me_status(pair.access.value) == 401
    assert LoginSession.objects.get().end_reason == EndReason.LOGOUT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "session_id",
    ["other-users", str(UNKNOWN_SESSION), "not-a-uuid", "\u0661" * 32, "%00", "1" * 33],
)
def test_deleting_a_session_not_mine_is_a_json_404(admin_user, admin_token, session_id):
    other = User.objects.create_user("other@example.com", PASSWORD, is_staff=True)
    theirs = login_pair(other)
    if session_id == "other-users":
        session_id = str(theirs.session_id)
    response = bearer_client(admin_token).delete(f"{SESSIONS}{session_id}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert me_status(theirs.access.value) == 200


# Password change


@pytest.mark.django_db
def test_password_change_ends_every_other_session_and_keeps_mine(api_client, admin_user):
    mine = login(api_client, admin_user.email)
    other = login(api_client, admin_user.email)
    client = bearer_client(mine["access_token"])
    response = client.post(
        PASSWORD_CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert (response.status_code, response.content) == (204, b"")

    assert me_status(mine["access_token"]) == 200
    assert refresh(api_client, mine["refresh_token"]).status_code == 200
    assert me_status(other["access_token"]) == 401
    assert refresh(api_client, other["refresh_token"]).status_code == 401
    ended = LoginSession.objects.exclude(ended_at=None).get()
    assert ended.end_reason == EndReason.PASSWORD_CHANGE
    wrong = api_client.post(LOGIN, {"email": admin_user.email, "password": PASSWORD})
    assert wrong.status_code == 401
    assert me_status(login(api_client, admin_user.email, NEW_PASSWORD)["access_token"]) == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "not my password", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "password"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "12345678901"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "admin@example"}, "new_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),  # the same
        ({"current_password": PASSWORD, "new_password": " " * 12}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "\u3000\t" * 8}, "new_password"),
    ],
)
def test_password_change_refusals_are_400_and_change_nothing(admin_user, body, field):
    pair = login_pair(admin_user)
    other = login_pair(admin_user)
    response = bearer_client(pair.access.value).post(PASSWORD_CHANGE, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.get(pk=admin_user.pk).check_password(PASSWORD)
    assert me_status(other.access.value) == 200


@pytest.mark.django_db
def test_password_change_is_throttled_like_login(admin_user):
    client = bearer_client(login_pair(admin_user).access.value)
    body = {"current_password": "wrong guess", "new_password": NEW_PASSWORD}
    statuses = [client.post(PASSWORD_CHANGE, body).status_code for _ in range(5)]
    assert statuses == [400] * 5
    blocked = client.post(PASSWORD_CHANGE, {**body, "current_password": PASSWORD})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked
    assert User.objects.get(pk=admin_user.pk).check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("post", "/api/auth/login", 200),
        ("post", "/api/auth/refresh", 200),
        ("get", "/api/auth/sessions", 200),
        ("post", "/api/auth/password", 400),
        ("post", "/api/auth/logout/all", 204),
        ("post", "/api/auth/logout", 204),
    ],
)
def test_account_paths_work_without_trailing_slash(admin_user, method, path, expected):
    pair = login_pair(admin_user)
    client = bearer_client(pair.access.value)
    body = {
        "/api/auth/login": {"email": admin_user.email, "password": PASSWORD},
        "/api/auth/refresh": {"refresh_token": pair.refresh.value},
    }.get(path, {})
    assert getattr(client, method)(path, body, format="json").status_code == expected


@pytest.mark.django_db
def test_password_change_tells_the_validators_the_new_password(admin_user, settings):
    # Django's password_changed hook, as save() would call it: a history validator learns it.
    settings.AUTH_PASSWORD_VALIDATORS = [{"NAME": "tests.helpers.PasswordHistoryValidator"}]
    client = bearer_client(login_pair(admin_user).access.value)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post(PASSWORD_CHANGE, body).status_code == 204
    again = client.post(
        PASSWORD_CHANGE, {"current_password": NEW_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert again.status_code == 400
    assert again.json()["new_password"] == ["This password was used before."]


@pytest.mark.django_db
def test_every_refused_refresh_gets_the_one_same_answer(api_client, admin_user, now):
    from accounts.services import REFRESH_INVALID

    first = login(api_client, admin_user.email)
    second = refresh(api_client, first["refresh_token"]).json()
    session_hex = second["refresh_token"].split(".")[0]
    refusals = [
        refresh(api_client, "not-a-token"),  # malformed
        refresh(api_client, f"{UNKNOWN_SESSION.hex}.made-up-secret"),  # unknown session
        refresh(api_client, f"{session_hex}.made-up-secret"),  # a guessed secret
        refresh(api_client, first["refresh_token"]),  # consumed, within the grace window
    ]
    now.shift(60)
    refusals.append(refresh(api_client, first["refresh_token"]))  # consumed: reuse, ends it
    refusals.append(refresh(api_client, second["refresh_token"]))  # its session has ended
    expected = {"detail": str(REFRESH_INVALID), "code": "refresh_invalid"}
    assert [(r.status_code, r.json()) for r in refusals] == [(401, expected)] * len(refusals)
