"""One login policy for the API login and the Django admin login, shared across processes.

Per (email, address) and per address every attempt counts; per account only failed passwords
count, and not from an address that has logged in to that account before. Windows are fixed
(aligned to the clock), so every test that counts in-process runs on a frozen clock.
"""

import datetime as dt
import re

import pytest
import redis
import time_machine

from accounts import login_policy
from accounts.models import User
from tests.helpers import PASSWORD, bearer_client, login_pair, run_manage, shared_redis_url

LOGIN = "/api/auth/login/"
ADMIN_LOGIN = "/admin/login/"
RATE = 5  # the default LOGIN_THROTTLE_RATE is 5/min
# docs/explanation/login-policy.md: one address, any emails: four times the rate; an address that
# logged in is known for 30 days.
ADDRESS_FACTOR = 4
KNOWN_FOR = dt.timedelta(days=30)
# 15 s into a minute: a refused attempt waits the 45 s left of the window.
FROZEN = dt.datetime(2030, 1, 1, 12, 0, 15, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def attempt(client, email, password="wrong password", address="10.0.0.1"):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=address)


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
def test_the_owner_is_not_locked_out_from_an_address_that_logged_in_before(
    api_client, admin_user, clock
):
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.5.5").status_code == 200
    for number in range(RATE * 3):
        attempt(api_client, admin_user.email, address=f"10.0.6.{number}")
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.0.7.7"))

    owner = attempt(api_client, admin_user.email, PASSWORD, address="10.0.5.5")
    assert owner.status_code == 200
    assert "access_token" in owner.json()


@pytest.mark.django_db
def test_an_address_stays_known_for_30_days(api_client, admin_user, clock, settings):
    # The local-memory cache expires keys by the clock this test controls (Redis would not).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.4.0.1").status_code == 200
    clock.shift(KNOWN_FOR - dt.timedelta(seconds=1))  # one second short of 30 days
    for number in range(RATE):
        attempt(api_client, admin_user.email, address=f"10.4.1.{number}")
    # A wrong password (which, unlike a login, does not renew the address) is still let through.
    assert attempt(api_client, admin_user.email, address="10.4.0.1").status_code == 401
    clock.shift(1)  # the same minute's window, the address no longer known
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.4.0.1"))


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
def test_an_address_known_from_the_admin_login_is_known_to_the_api(
    client, api_client, admin_user, clock
):
    assert admin_attempt(client, admin_user.email, PASSWORD, address="10.2.0.1").status_code == 302
    for number in range(RATE):
        admin_attempt(client, admin_user.email, address=f"10.2.1.{number}")
    assert_refused(attempt(api_client, admin_user.email, PASSWORD, address="10.2.2.2"))
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.2.0.1").status_code == 200


@pytest.mark.django_db
def test_admin_login_of_a_non_staff_user_counts_as_a_failure(
    client, api_client, regular_user, clock
):
    for number in range(RATE):
        page = admin_attempt(client, regular_user.email, PASSWORD, address=f"10.3.0.{number}")
        assert page.status_code == 200
    assert admin_attempt(client, regular_user.email, PASSWORD, "10.3.1.1").status_code == 429


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
    # One address, several sessions' worth of password changes: below its own limits, they
    # only touch the account's cap of failed passwords if a password was checked and wrong.
    token = login_pair(admin_user).access.value
    for number in range(RATE):
        response = bearer_client(token).post(
            "/api/auth/password/", body, format="json", REMOTE_ADDR=f"10.7.0.{number}"
        )
        assert response.status_code == 400
    login = attempt(api_client, admin_user.email, PASSWORD, address="10.7.9.9")
    assert login.status_code == (429 if counted else 200)


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
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.4.1").status_code == 200
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
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.4.1").status_code == 200


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
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.7.0.1").status_code == 200
    assert attempt(api_client, admin_user.email, address="10.7.0.2").status_code == 401
    assert attempt(api_client, "nobody@example.com", address="10.7.0.2").status_code == 401

    keys = redis_keys()
    kinds = {}
    for name, ttl in keys.items():
        assert re.fullmatch(r"login-policy:(address|pair|failures|known):[0-9a-f]{64}", name)
        kinds.setdefault(name.split(":")[1], []).append(ttl)
    # Two addresses; three (email, address) pairs; failures of two accounts; one known address.
    assert {kind: len(ttls) for kind, ttls in kinds.items()} == {
        "address": 2,
        "pair": 3,
        "failures": 2,
        "known": 1,
    }
    # Counters end with the window (45 s left of the minute); the known mark after 30 days.
    # Redis counts these down in real time: the bounds leave a slow machine a minute.
    window = [ttl for kind in ("address", "pair", "failures") for ttl in kinds[kind]]
    assert all(0 < ttl <= 45 for ttl in window), window
    assert 0 <= KNOWN_FOR.total_seconds() - kinds["known"][0] <= 60


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
