"""Login attempts are rate limited per client address and per email, across processes."""

import os

import pytest
import redis

from tests.helpers import PASSWORD, run_manage

LOGIN = "/api/auth/login/"
RATE = 5  # the default LOGIN_THROTTLE_RATE is 5/min


def attempt(client, email, password="wrong password", address="10.0.0.1"):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_attempts_past_the_rate_are_429_with_retry_after(api_client, admin_user):
    statuses = [attempt(api_client, admin_user.email).status_code for _ in range(RATE)]
    assert statuses == [401] * RATE
    blocked = attempt(api_client, admin_user.email, password=PASSWORD)
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 60
    assert "throttled" in blocked.json()["detail"].lower()


@pytest.mark.django_db
def test_limit_per_email_holds_across_client_addresses_and_case(api_client, admin_user):
    for number in range(RATE):
        attempt(api_client, admin_user.email.upper(), address=f"10.0.1.{number}")
    assert attempt(api_client, admin_user.email, address="10.0.2.1").status_code == 429
    assert attempt(api_client, "someone.else@example.com", address="10.0.2.1").status_code == 401


@pytest.mark.django_db
def test_limit_per_address_holds_across_emails(api_client, admin_user):
    for number in range(RATE):
        attempt(api_client, f"guess{number}@example.com", address="10.0.3.3")
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.3.3").status_code == 429
    assert attempt(api_client, admin_user.email, PASSWORD, address="10.0.3.4").status_code == 200


def _client_script(email: str, count: int) -> str:
    # A body without a password is refused before any database access, but still counts.
    return (
        "from django.test import Client; c = Client();"
        f"print(*[c.post('{LOGIN}', {{'email': '{email}'}}, content_type='application/json',"
        f" REMOTE_ADDR='10.9.9.9').status_code for _ in range({count})])"
    )


def test_login_throttle_rate_comes_from_the_environment():
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        _client_script("victim@example.com", 3),
        env={"LOGIN_THROTTLE_RATE": "2/min", "DJANGO_ALLOWED_HOSTS": "testserver"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["400", "400", "429"]


@pytest.fixture
def shared_redis_cache(settings, own_cache_keys):
    """The Redis that CI provides (REDIS_URL, else the local one): the cache workers share.
    Keys carry this test's own prefix, so nothing else in that Redis is read or cleared."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide Redis at {url}")
        pytest.skip(f"no Redis at {url}; .ci/run provides one")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": own_cache_keys,
        }
    }
    return {"REDIS_URL": url, "DJANGO_CACHE_KEY_PREFIX": own_cache_keys}


@pytest.mark.django_db
def test_attempts_in_another_process_count_here_through_redis(
    api_client, admin_user, shared_redis_cache
):
    other_worker = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        _client_script(admin_user.email, RATE),
        env={**shared_redis_cache, "DJANGO_ALLOWED_HOSTS": "testserver"},
    )
    assert other_worker.returncode == 0, other_worker.stderr
    assert other_worker.stdout.split() == ["400"] * RATE
    blocked = attempt(api_client, admin_user.email, PASSWORD, address="10.0.4.4")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
