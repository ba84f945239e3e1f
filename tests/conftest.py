import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_access_token

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCREENSHOTS = PROJECT_DIR / "artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"


def pytest_terminal_summary(terminalreporter):
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.exists() else []
    if shots:
        terminalreporter.write_line(f"Browser screenshots ({len(shots)}): {SCREENSHOTS}")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing cost is not what these tests are about; the real hasher is in production settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_user("admin@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def regular_user(db) -> User:
    return User.objects.create_user("reader@example.com", PASSWORD)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def admin_token(admin_user) -> str:
    return issue_access_token(admin_user).value


@pytest.fixture
def admin_client(admin_token) -> APIClient:
    return bearer_client(admin_token)


def forge_token(
    user: User | None = None,
    *,
    key: str | None = None,
    kid: str | None = None,
    algorithm: str = "HS256",
    headers: dict | None = None,
    drop: tuple[str, ...] = (),
    **claims,
) -> str:
    """A token built by hand, as an attacker or a misconfigured peer would, from valid defaults."""
    conf = django_settings.JWT
    default_kid, default_key = conf["SIGNING_KEYS"][0]
    now = int(time.time())
    payload = {
        "iss": conf["ISSUER"],
        "aud": conf["AUDIENCE"],
        "sub": str(user.pk) if user else "1",
        "email": user.email if user else "nobody@example.com",
        "iat": now,
        "exp": now + 600,
        "jti": "test-jti",
        "ver": user.token_version if user else 0,
        **claims,
    }
    for name in drop:
        payload.pop(name)
    header = {"kid": kid or default_kid, **(headers or {})}
    return jwt.encode(payload, key or default_key, algorithm=algorithm, headers=header)


def run_manage(*args: str, env: dict[str, str], check: bool = False) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a fresh interpreter with exactly the given DJANGO_/JWT_ environment."""
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "JWT_", "DATABASE_URL", "REDIS_URL", "LOGIN_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "rod-secret-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "JWT_SIGNING_KEYS": "k2026:" + "s" * 10 + "igning-key-that-is-long-enough-42",
}


@pytest.fixture
def make_movie(db):
    """Create a movie from sensible defaults; keyword arguments override them."""
    from decimal import Decimal

    from movies.models import Movie

    counter = iter(range(1, 10_000))

    def make(**fields):
        number = next(counter)
        values = {
            "title": f"Film {number}",
            "overview": "",
            "year": 2000,
            "rating": Decimal("5.0"),
            "category": "Drama",
            **fields,
        }
        return Movie.objects.create(**values)

    return make
