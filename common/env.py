"""Environment parsing for settings: every variable is read here, once, at start-up."""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_BYTES = 32
# Django's own bar for SECRET_KEY (``check --deploy``, security.W009): 50 characters, 5 distinct.
SECRET_KEY_MIN_CHARACTERS = 50
MIN_DISTINCT_CHARACTERS = 5
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_signing_keys(raw: str) -> list[tuple[str, str]]:
    """Parse ``kid:secret,kid:secret``; the secret is everything after the first colon."""
    keys = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, secret = item.partition(":")
        if not sep or not kid.strip() or not secret:
            raise ImproperlyConfigured("JWT_SIGNING_KEYS must be comma-separated kid:secret pairs.")
        keys.append((kid.strip(), secret))
    if not keys:
        raise ImproperlyConfigured("JWT_SIGNING_KEYS names no key.")
    return keys


def secret_weakness(value: str, *, min_characters: int = 0) -> str | None:
    """Why ``value`` is too weak to sign with (shorter than ``MIN_SECRET_BYTES`` bytes or
    ``min_characters`` characters, or fewer than ``MIN_DISTINCT_CHARACTERS`` distinct ones), or
    ``None``."""
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    if len(value) < min_characters:
        return f"is shorter than {min_characters} characters"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    return None


def require_strong_secret(name: str, value: str, *, min_characters: int = 0) -> str:
    """Refuse to start in production with a missing or weak secret."""
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off.")
    weakness = secret_weakness(value, min_characters=min_characters)
    if weakness is not None:
        raise ImproperlyConfigured(f"{name} {weakness}: too weak when DJANGO_DEBUG is off.")
    return value


def signing_key_problems(keys: list[tuple[str, str]]) -> list[str]:
    """What is wrong with ``keys``: each weak secret, and each kid named more than once (only one
    of its keys could ever verify a token). Production settings refuse to start on the first;
    ``manage.py check`` lists them all."""
    problems = [
        f"JWT signing key {kid!r} {weakness}"
        for kid, secret in keys
        if (weakness := secret_weakness(secret)) is not None
    ]
    problems += [
        f"JWT signing key id {kid!r} is used {count} times"
        for kid, count in Counter(kid for kid, _ in keys).items()
        if count > 1
    ]
    return problems


def local_dev_secrets(path: Path) -> dict[str, str]:
    """Secrets for development, generated on first use into an untracked file and reused.

    Reusing them means a restart of ``runserver`` keeps everyone's tokens and sessions valid.
    The file is written aside and hard-linked into place, so concurrent first starts agree on
    one complete set of secrets.
    """
    if not path.exists():
        generated = {
            "secret_key": secrets.token_urlsafe(50),
            "jwt_key": secrets.token_urlsafe(48),
            "admin_password": secrets.token_urlsafe(12),
        }
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(generated, handle)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return json.loads(path.read_text())
