"""Helpers the test modules share: constants, clients, hand-made tokens, subprocess runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import psycopg
import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import TokenPair, session_start

PROJECT_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
# The query parameters of GET /api/movies/ (docs/reference/api.md), cursor aside.
LIST_PARAMETERS = (
    "category",
    "year",
    "year_min",
    "year_max",
    "rating_min",
    "search",
    "ordering",
    "page",
    "page_size",
)
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "rod-secret-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "JWT_SIGNING_KEYS": "k2026:" + "s" * 10 + "igning-key-that-is-long-enough-42",
}
# Variables a subprocess inherits from this run: where its development secrets live (outside
# the working tree) and which cache keys are this run's.
_INHERITED = ("DJANGO_DEV_SECRETS_FILE",)


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 hasher at a test-friendly cost, for hash-upgrade tests."""

    iterations = 2000


# What login and refresh answer (docs/reference/api.md).
TOKEN_PAIR_KEYS = frozenset(
    {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "device_token",
    }
)


def movie_titles(response) -> list[str]:
    """The titles of a movie list answer, which must be a 200."""
    assert response.status_code == 200, response.json()
    return [movie["title"] for movie in response.json()["results"]]


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def login_pair(user: User) -> TokenPair:
    """A new session for ``user`` and its first token pair, as a login would give."""
    return session_start(user=user)


def access_token_for(user: User) -> str:
    """An access token of a new session of ``user``."""
    return login_pair(user).access.value


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
    """A token built by hand, as an attacker or a misconfigured peer would, from valid defaults.

    For a ``user`` it names a new, live session of theirs unless ``sid`` is given.
    """
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
        "sid": str(login_pair(user).session_id) if user else "00000000-0000-4000-8000-000000000000",
        **claims,
    }
    for name in drop:
        payload.pop(name)
    header = {"kid": kid or default_kid, **(headers or {})}
    return jwt.encode(payload, key or default_key, algorithm=algorithm, headers=header)


def subprocess_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without the project's settings variables, plus ``env``; the
    database is an in-memory SQLite one unless ``env`` names another, so no subprocess creates
    the development database file in the working tree."""
    base = {
        name: value
        for name, value in os.environ.items()
        if name in _INHERITED
        or not name.startswith(("DJANGO_", "JWT_", "DATABASE_URL", "REDIS_URL", "LOGIN_"))
    }
    return {**base, "DATABASE_URL": "sqlite://:memory:", **env}


def run_manage(*args: str, env: dict[str, str], check: bool = False) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a fresh interpreter with exactly the given DJANGO_/JWT_ environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def require(available: bool, what: str) -> None:
    """Fail under CI (which must provide ``what``), skip elsewhere when it is missing."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {what} (.ci/run installs and starts it)")
    pytest.skip(f"{what} is missing; .ci/run provides it")


def require_program(path: str) -> None:
    require(shutil.which(path) is not None, path)


@contextmanager
def throwaway_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server; yields its URL, then drops it."""
    try:
        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3).close()
        reachable = True
    except psycopg.OperationalError:
        reachable = False
    require(reachable, f"PostgreSQL at {POSTGRES_SERVER}")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def override_jwt(settings, **values) -> None:
    """Change some of the ``JWT`` settings for one test (pytest-django's ``settings`` fixture)."""
    settings.JWT = {**settings.JWT, **values}


def shared_redis_url() -> str:
    """The Redis that CI provides (``REDIS_URL``, else the local one); skips the test when there
    is none, except under CI, where it fails."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        reachable = redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        reachable = False
    require(reachable, f"Redis at {url}")
    return url


class ExplodingPasswordHasher(MD5PasswordHasher):
    """The test run's MD5 hasher, failing when it checks a password: a bug deep inside login."""

    def verify(self, password, encoded):
        raise RuntimeError("the password hasher failed")


class PasswordHistoryValidator:
    """A validator with Django's ``password_changed`` hook (as a password-history one has): it
    refuses a password once used by the same user."""

    def __init__(self) -> None:
        # Per instance: Django builds a new one whenever AUTH_PASSWORD_VALIDATORS changes.
        self.used: dict[int, set[str]] = {}

    def validate(self, password: str, user: User | None = None) -> None:
        from django.core.exceptions import ValidationError

        if user is not None and password in self.used.get(user.pk, set()):
            raise ValidationError("This password was used before.", code="password_reused")

    def password_changed(self, password: str, user: User | None = None) -> None:
        self.used.setdefault(user.pk, set()).add(password)

    def get_help_text(self) -> str:
        return "A password cannot be used twice."
