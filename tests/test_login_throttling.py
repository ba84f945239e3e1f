"""One login policy for the API login and the Django admin login, shared across processes.

Per (email, address) and per address every attempt counts; per account only failed passwords
count, and not those of a trusted device (one holding a device token of a successful login).
Windows are fixed (aligned to the clock), so every test that counts in-process runs on a frozen
clock.
"""

import datetime as dt
import re

import pytest
import redis
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts import login_policy
from accounts.models import User
from tests.helpers import PASSWORD, bearer_client, login_pair, run_manage, shared_redis_url

LOGIN = "/api/auth/login/"
ADMIN_LOGIN = "/admin/login/"
RATE = 5  # the default LOGIN_THROTTLE_RATE is 5/min
# docs/explanation/login-policy.md: one address, any emails: four times the rate; a device token
# is trusted for 30 days.
ADDRESS_FACTOR = 4
TRUSTED_FOR = dt.timedelta(days=30)
# 15 s into a minute: a refused attempt waits the 45 s left of the window.
FROZEN = dt.datetime(2030, 1, 1, 12, 0, 15, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def attempt(client, email, password="wrong password", address="10.0.0.1", device_token=None):
    body = {"email": email, "password": password}
    if device_token is not None:
        body["device_token"] = device_token
    return client.post(LOGIN, body, format="json", REMOTE_ADDR=address)


def spend_the_account_cap(client, email, prefix="10.66.0"):
    """A distributed guesser: one wrong password from each of R addresses."""
    for number in range(RATE):
        assert attempt(client, email, address=f"{prefix}.{number}").status_code == 401


def admin_attempt(client, email, password="wrong password", address="10.0.0.1"):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def login_rate(settings, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def assert_refused(response, wait=45):
    assert response.status_code == 429
    assert response["Retry-After"] == str(wait)
    assert "throttled" in response.json()["detail"].lower()


@pytest.mark.django_db
def test_attempts_past_the_rate_are_429_with_retry_after(api_client, admin_user, clock):
    statuses = [attempt(api_client, admin_user.email).status_code for _ in range(RATE)]
    assert statuses == [401] * RATE
    assert_refused(attempt(api_client, admin_user.email, password=PASSWORD))


@pytest.mark.django_db
def test_a_distributed_guesser_is_capped_per_account_whatever_the_case(
    api_client, admin_user, clock
):
    for number in range(RATE):
        response = attempt(api_client, admin_user.email.upper(), address=f"10.0.1.{number}")
        assert response.status_code == 401
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.0.2.1"))
    assert attempt(api_client, "someone.else@example.com", address="10.0.2.1").status_code == 401


@pytest.mark.django_db
def test_a_device_that_logged_in_before_is_not_locked_out_by_a_distributed_guesser(
    api_client, admin_user, clock
):
    device_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    for number in range(RATE * 3):
        attempt(api_client, admin_user.email.upper(), address=f"10.0.6.{number}")
    # Any address, even one the guesser used: the device, not the address, is trusted.
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.0.7.7"))
    for address in ("10.0.7.7", "10.0.6.1"):
        owner = attempt(api_client, admin_user.email, PASSWORD, address, device_token)
        assert owner.status_code == 200
        assert "access_token" in owner.json()


@pytest.mark.django_db
def test_a_device_token_of_another_account_altered_or_made_up_is_untrusted(
    api_client, admin_user, clock
):
    other_admin = User.objects.create_user("other.admin@example.com", PASSWORD, is_staff=True)
    other_token = attempt(api_client, other_admin.email, PASSWORD).json()["device_token"]
    own_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    spend_the_account_cap(api_client, admin_user.email)
    altered = own_token[:-1] + ("A" if own_token[-1] != "A" else "B")
    for number, token in enumerate([other_token, altered, own_token.split(":")[0], "x", ""]):
        refused = attempt(api_client, admin_user.email, PASSWORD, f"10.1.9.{number}", token)
        assert_refused(refused)
    # The other account's own token is trusted for it, and only for it.
    spend_the_account_cap(api_client, other_admin.email, prefix="10.1.8")
    trusted = attempt(api_client, other_admin.email, PASSWORD, device_token=other_token)
    assert trusted.status_code == 200


@pytest.mark.django_db
def test_a_device_token_is_trusted_for_30_days(api_client, admin_user, clock):
    device_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    clock.shift(TRUSTED_FOR)  # 30 days on, the same second of the minute
    spend_the_account_cap(api_client, admin_user.email)
    trusted = attempt(api_client, admin_user.email, PASSWORD, device_token=device_token)
    assert trusted.status_code == 200
    clock.shift(1)  # the same window, one second past 30 days
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, device_token=device_token), 44)


@pytest.mark.django_db
def test_a_device_that_guesses_loses_its_trust_and_then_counts_for_the_account(
    api_client, admin_user, clock
):
    guessing = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    owner = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    # R wrong passwords are the trusted device's own; the account's cap is untouched ...
    for number in range(RATE):
        response = attempt(api_client, admin_user.email, "no", f"10.2.0.{number}", guessing)
        assert response.status_code == 401
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.2.1.1").status_code == 200
    # ... past them the device is untrusted, and its wrong passwords spend the account's cap.
    for number in range(RATE):
        response = attempt(api_client, admin_user.email, "no", f"10.2.2.{number}", guessing)
        assert response.status_code == 401
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, "10.2.3.1", guessing))
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.2.3.2"))
    assert attempt(api_client, admin_user.email, PASSWORD, "10.2.3.3", owner).status_code == 200


@pytest.mark.django_db
def test_a_device_with_its_r_failures_spent_is_untrusted_though_the_account_saw_none(
    api_client, admin_user, clock
):
    device_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    for number in range(RATE):  # exactly the device's own limit, none on the account
        attempt(api_client, admin_user.email, "no", f"10.2.5.{number}", device_token)
    spend_the_account_cap(api_client, admin_user.email)
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, "10.2.6.1", device_token))


@pytest.mark.django_db
def test_at_a_rate_of_one_a_device_without_failures_is_trusted(
    api_client, admin_user, clock, settings
):
    login_rate(settings, "1/min")
    device_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    assert attempt(api_client, admin_user.email, address="10.2.7.1").status_code == 401
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.2.7.2"))
    trusted = attempt(api_client, admin_user.email, PASSWORD, "10.2.7.3", device_token)
    assert trusted.status_code == 200


@pytest.mark.django_db
def test_a_trusted_device_is_still_held_by_the_per_address_limit(api_client, admin_user, clock):
    device_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    for number in range(RATE * ADDRESS_FACTOR):
        attempt(api_client, f"guess{number}@example.com", address="10.3.3.3")
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, "10.3.3.3", device_token))


@pytest.mark.django_db
@pytest.mark.parametrize("device_token", [42, ["x"], {"a": 1}, "x" * 257])
def test_a_malformed_device_token_is_a_400_and_not_a_failure(
    api_client, admin_user, clock, device_token
):
    response = attempt(api_client, admin_user.email, PASSWORD, device_token=device_token)
    assert response.status_code == 400
    assert list(response.json()) == ["device_token"]
    for number in range(RATE * 2):
        bad = attempt(api_client, admin_user.email, "no", f"10.4.4.{number}", device_token)
        assert bad.status_code == 400
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.4.5.5").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("device_token", [None, ""])
def test_a_null_or_blank_device_token_is_no_device_token(
    api_client, admin_user, clock, device_token
):
    body = {"email": admin_user.email, "password": PASSWORD, "device_token": device_token}
    assert api_client.post(LOGIN, body, format="json").status_code == 200
    spend_the_account_cap(api_client, admin_user.email)
    assert_refused(api_client.post(LOGIN, body, format="json", REMOTE_ADDR="10.4.6.6"))


@pytest.mark.django_db
def test_the_account_cap_counts_failed_passwords_not_logins(api_client, admin_user, clock):
    for number in range(RATE * 2):
        response = attempt(api_client, admin_user.email, PASSWORD, address=f"10.0.8.{number}")
        assert response.status_code == 200


@pytest.mark.django_db
def test_limit_per_address_holds_across_emails(api_client, admin_user, clock):
    for number in range(RATE * ADDRESS_FACTOR):
        response = attempt(api_client, f"guess{number}@example.com", address="10.0.3.3")
        assert response.status_code == 401, number
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.0.3.3"))
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.3.4").status_code == 200


@pytest.mark.django_db
def test_limits_end_with_their_window(api_client, admin_user, clock):
    for number in range(RATE):
        attempt(api_client, admin_user.email, address=f"10.0.9.{number}")
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.0.9.9"), wait=45)
    clock.shift(44)
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.0.9.9"), wait=1)
    clock.shift(1)
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.9.9").status_code == 200


@pytest.mark.django_db
def test_admin_login_is_refused_with_429_past_the_rate(client, admin_user, clock):
    for _ in range(RATE):
        page = admin_attempt(client, admin_user.email)
        assert page.status_code == 200
        assert "Please enter the correct email" in page.text
    refused = admin_attempt(client, admin_user.email, PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert "Too many login attempts. Try again in 45 seconds." in refused.text
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still asked to log in


@pytest.mark.django_db
def test_admin_and_api_logins_count_failures_together(client, api_client, admin_user, clock):
    for number in range(RATE - 1):
        attempt(api_client, admin_user.email, address=f"10.1.0.{number}")
    admin_attempt(client, admin_user.email, address="10.1.1.1")

    refused = admin_attempt(client, admin_user.email, PASSWORD, address="10.1.2.2")
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.1.2.2"))


@pytest.mark.django_db
def test_an_admin_login_makes_the_browser_a_trusted_device(client, api_client, admin_user, clock):
    assert admin_attempt(client, admin_user.email, PASSWORD, address="10.2.0.1").status_code == 302
    cookie = client.cookies["admin_device"]
    assert (cookie["path"], cookie["samesite"], cookie["httponly"]) == ("/admin/", "Lax", True)
    assert cookie["max-age"] == int(TRUSTED_FOR.total_seconds())
    client.post("/admin/logout/")
    stranger = Client()
    for number in range(RATE):
        admin_attempt(stranger, admin_user.email, address=f"10.2.1.{number}")

    refused = admin_attempt(stranger, admin_user.email, PASSWORD, address="10.2.2.2")
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert "admin_device" not in refused.cookies
    # The owner's browser, from a new address, gets in; so does the API with that device's token.
    assert admin_attempt(client, admin_user.email, PASSWORD, address="10.2.2.3").status_code == 302
    api = attempt(api_client, admin_user.email, PASSWORD, "10.2.2.4", cookie.value)
    assert api.status_code == 200


@pytest.mark.django_db
def test_a_failed_admin_login_sets_no_device_cookie(client, admin_user, regular_user, clock):
    assert admin_attempt(client, admin_user.email).status_code == 200
    assert admin_attempt(client, regular_user.email, PASSWORD).status_code == 200
    assert "admin_device" not in client.cookies


@pytest.mark.django_db
def test_the_right_password_of_a_non_staff_user_at_the_admin_is_no_failure(
    client, api_client, regular_user, clock
):
    for number in range(RATE):
        page = admin_attempt(client, regular_user.email, PASSWORD, address=f"10.3.0.{number}")
        assert page.status_code == 200
    assert attempt(api_client, regular_user.email, PASSWORD, address="10.3.1.1").status_code == 200


def change_password(client, old_password, address):
    new = "a new and long enough passphrase 42"
    return client.post(
        "/admin/password_change/",
        {"old_password": old_password, "new_password1": new, "new_password2": new},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_admin_password_change_checks_the_old_password_under_the_same_policy(
    client, api_client, admin_user, clock
):
    client.force_login(admin_user)
    for number in range(RATE - 1):
        page = change_password(client, "wrong password", address=f"10.5.0.{number}")
        assert page.status_code == 200
        assert "Your old password was entered incorrectly" in page.text
    attempt(api_client, admin_user.email, address="10.5.1.1")

    refused = change_password(client, PASSWORD, address="10.5.2.2")
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert "Too many login attempts. Try again in 45 seconds." in refused.text
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "counted"),
    [
        ({"new_password": "a new and long enough passphrase 42"}, False),  # no current password
        ({"current_password": 42, "new_password": "x"}, False),  # not a string
        ({"current_password": "wrong password", "new_password": "x"}, True),  # a wrong one
    ],
)
def test_only_a_wrong_current_password_counts_as_a_failed_password(
    api_client, admin_user, clock, body, counted
):
    # Password changes in one session, from many addresses: they only touch the account's cap
    # of failed passwords if a password was checked and wrong (after the session's own R: the
    # session is the trusted device of this door).
    token = login_pair(admin_user).access.value
    for number in range(RATE * 2):
        response = bearer_client(token).post(
            "/api/auth/password/", body, format="json", REMOTE_ADDR=f"10.7.0.{number}"
        )
        assert response.status_code == 400
    login = attempt(api_client, admin_user.email, PASSWORD, address="10.7.9.9")
    assert login.status_code == (429 if counted else 200)


@pytest.mark.django_db
def test_strangers_failures_do_not_stop_a_session_changing_its_password(
    api_client, admin_user, clock
):
    token = login_pair(admin_user).access.value
    spend_the_account_cap(api_client, admin_user.email)
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.8.8.8"))
    body = {"current_password": PASSWORD, "new_password": "a new and long enough passphrase 42"}
    done = bearer_client(token).post("/api/auth/password/", body, format="json")
    assert done.status_code == 204


@pytest.mark.django_db
def test_the_admin_browser_changes_its_password_despite_strangers(client, admin_user, clock):
    assert admin_attempt(client, admin_user.email, PASSWORD).status_code == 302
    spend_the_account_cap(APIClient(), admin_user.email)
    done = change_password(client, PASSWORD, address="10.6.0.1")
    assert (done.status_code, done["Location"]) == (302, "/admin/password_change/done/")


@pytest.mark.django_db
def test_admin_password_change_with_the_right_old_password_still_works(client, admin_user, clock):
    client.force_login(admin_user)
    done = change_password(client, PASSWORD, address="10.6.0.1")
    assert (done.status_code, done["Location"]) == (302, "/admin/password_change/done/")
    admin_user.refresh_from_db()
    assert admin_user.check_password("a new and long enough passphrase 42")


def _client_script(email: str, count: int, password: str | None = None) -> str:
    body = {"email": email} if password is None else {"email": email, "password": password}
    return (
        "from django.test import Client; c = Client();"
        f"print(*[c.post('{LOGIN}', {body!r}, content_type='application/json',"
        f" REMOTE_ADDR=f'10.9.9.{{n}}').status_code for n in range({count})])"
    )


def test_login_throttle_rate_comes_from_the_environment():
    # A body without a password is refused before any database access, but it is an attempt.
    script = _client_script("victim@example.com", 3).replace("10.9.9.{n}", "10.9.9.9")
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        script,
        env={"LOGIN_THROTTLE_RATE": "2/day", "DJANGO_ALLOWED_HOSTS": "testserver"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["400", "400", "429"]


@pytest.fixture
def shared_redis_cache(settings, own_cache_keys):
    """The Redis that CI provides (REDIS_URL, else the local one): the cache workers share.
    Keys carry this test's own prefix, so nothing else in that Redis is read or cleared."""
    url = shared_redis_url()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": own_cache_keys,
        }
    }
    return {"REDIS_URL": url, "DJANGO_CACHE_KEY_PREFIX": own_cache_keys}


@pytest.mark.django_db
def test_failures_in_another_process_count_here_through_redis(
    api_client, admin_user, settings, shared_redis_cache, tmp_path
):
    # Both processes use day-long windows on the real clock: the other one's is not frozen.
    login_rate(settings, "5/day")
    device_token = attempt(api_client, admin_user.email, PASSWORD).json()["device_token"]
    env = {
        **shared_redis_cache,
        "LOGIN_THROTTLE_RATE": "5/day",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'other-worker.sqlite3'}",
    }
    run_manage("migrate", "-v", "0", env=env, check=True)
    other_worker = run_manage(
        "shell", "-v", "0", "-c", _client_script(admin_user.email, RATE, "guess"), env=env
    )
    assert other_worker.returncode == 0, other_worker.stderr
    assert other_worker.stdout.split() == ["401"] * RATE

    blocked = attempt(api_client, admin_user.email, PASSWORD, address="10.0.4.4")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    trusted = attempt(api_client, admin_user.email, PASSWORD, device_token=device_token)
    assert trusted.status_code == 200


@pytest.mark.django_db
def test_a_rate_of_one_lets_the_first_attempt_through(api_client, admin_user, clock, settings):
    login_rate(settings, "1/min")
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.5.0.1").status_code == 200
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.5.0.1"))


class _CounterExpiringOnce:
    """The cache, except that the first counter of ``kind`` to be incremented expires between
    ``add`` and ``incr``: the race ``login_policy._count`` recovers from."""

    def __init__(self, cache, kind):
        self._cache, self._kind, self._expired = cache, kind, False

    def incr(self, key):
        if not self._expired and f":{self._kind}:" in key:
            self._expired = True
            self._cache.delete(key)
        return self._cache.incr(key)

    def __getattr__(self, name):
        return getattr(self._cache, name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "attempts"),
    [
        # Rate 1: four attempts per address, whatever the email (ADDRESS_FACTOR) ...
        ("address", 4),
        # ... and one per (email, address).
        ("pair", 1),
    ],
)
def test_a_counter_that_expires_mid_count_starts_again_at_one(
    api_client, admin_user, clock, settings, redis_keys, monkeypatch, kind, attempts
):
    login_rate(settings, "1/min")
    monkeypatch.setattr(login_policy, "cache", _CounterExpiringOnce(login_policy.cache, kind))
    # Right passwords, so that only the counter under test limits. It expires at its second
    # attempt, which then counts as the first: one attempt more than the limit gets through.
    emails = [admin_user.email] * (attempts + 1)
    if kind == "address":
        emails = [admin_user.email] + [f"admin{number}@example.com" for number in range(attempts)]
        for email in emails[1:]:
            User.objects.create_user(email, PASSWORD, is_staff=True)
    for email in emails:
        assert attempt(api_client, email, PASSWORD, address="10.6.0.1").status_code == 200
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.6.0.1"))
    # The counter made again still ends with the window, 45 s away.
    counters = [ttl for name, ttl in redis_keys().items() if f":{kind}:" in name]
    assert counters
    assert all(0 < ttl <= 45 for ttl in counters), counters


@pytest.fixture
def redis_keys(shared_redis_cache, own_cache_keys):
    """This test's keys in the shared Redis, with their time to live in seconds."""
    server = redis.Redis.from_url(shared_redis_cache["REDIS_URL"], decode_responses=True)

    def read() -> dict[str, int]:
        # Django's key format is "<KEY_PREFIX>:<version>:<key>".
        names = server.scan_iter(match=f"{own_cache_keys}:1:*", count=1000)
        return {name.split(":", 2)[2]: server.ttl(name) for name in names}

    return read


@pytest.mark.django_db
def test_the_policy_keeps_in_the_cache_only_hashed_keys_that_expire(
    api_client, admin_user, clock, redis_keys
):
    # docs/explanation/login-policy.md: what the policy leaves in Redis, and for how long.
    login = attempt(api_client, admin_user.email, PASSWORD, address="10.7.0.1")
    assert login.status_code == 200
    device_token = login.json()["device_token"]
    assert attempt(api_client, admin_user.email, address="10.7.0.2").status_code == 401
    assert attempt(api_client, "nobody@example.com", address="10.7.0.2").status_code == 401
    assert attempt(api_client, admin_user.email, "no", "10.7.0.1", device_token).status_code == 401

    keys = redis_keys()
    kinds = {}
    for name, ttl in keys.items():
        assert re.fullmatch(r"login-policy:(address|pair|failures|device):[0-9a-f]{64}", name)
        kinds.setdefault(name.split(":")[1], []).append(ttl)
    # Two addresses; three (email, address) pairs; failures of two accounts and of one device.
    # A successful login leaves nothing but its attempt's counters.
    assert {kind: len(ttls) for kind, ttls in kinds.items()} == {
        "address": 2,
        "pair": 3,
        "failures": 2,
        "device": 1,
    }
    # Counters end with the window (45 s left of the minute). Redis counts these down in real
    # time: the bound leaves a slow machine the rest of the window.
    ttls = [ttl for values in kinds.values() for ttl in values]
    assert all(0 < ttl <= 45 for ttl in ttls), ttls


def _spend_the_address_limit(client, admin_user):
    for number in range(RATE * ADDRESS_FACTOR):
        attempt(client, f"guess{number}@example.com", address="10.8.0.1")
    return "10.8.0.1"


def _spend_the_pair_limit(client, admin_user):
    for _ in range(RATE):
        attempt(client, admin_user.email, PASSWORD, address="10.8.1.1")
    return "10.8.1.1"


def _spend_the_account_cap(client, admin_user):
    for number in range(RATE):
        attempt(client, admin_user.email, address=f"10.8.2.{number}")
    return "10.8.3.1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spend", [_spend_the_address_limit, _spend_the_pair_limit, _spend_the_account_cap]
)
def test_with_redis_limits_end_with_their_window_before_its_keys_expire(
    api_client, admin_user, clock, redis_keys, spend
):
    # The clock moves to the next window while Redis's keys, on real time, have not expired:
    # the count restarts because each window counts under keys of its own.
    address = spend(api_client, admin_user)
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address=address))
    clock.shift(45)
    assert attempt(api_client, admin_user.email, PASSWORD, address=address).status_code == 200
    assert len(redis_keys()) > 0
