"""One login policy for every door that checks a password: the API login, Django admin's login
form, and any other view that asks for a password (password change reuses it).

Call ``login_policy_check(request, email, device=...)`` before checking the password and, if it
was wrong, ``login_policy_failure(request, email, device=...)`` after: only a password checked and
found wrong is a failure. The rate is ``LOGIN_THROTTLE_RATE`` (DRF's ``login`` rate, e.g.
``5/min``): R attempts per window. In each fixed window:

- per (email, client address): at most R attempts;
- per client address, whatever the email: at most ``ADDRESS_FACTOR`` times R attempts, so one
  address cannot spray passwords over many accounts, yet a shared office address is not one user;
- per account (email), from any number of addresses: at most R *failed* passwords — a cap on a
  distributed guesser that does not apply to a trusted device, so the owner is not locked out by
  strangers.

A device is trusted by OWASP's device-cookie scheme: a successful login hands the client a device
token (``device_token_issue``), signed for that account and valid ``DEVICE_TOKEN_SECONDS``; a
login that presents it again (``device_from_token``) is judged by that device's own failures — at
most R a window — instead of the account's, which only untrusted devices share. A door whose
caller has already proven the password (the API's password change, inside a session) names that
session as its device.

Counters live in Django's cache, which is Redis when ``REDIS_URL`` is set: every worker and machine
counts together, and a counter is one atomic ``INCR``. If the cache does not answer, its error
propagates and ``common.middleware.DependencyOutageMiddleware`` answers 503 with ``Retry-After``:
logins are refused rather than left unlimited (see docs/explanation/security-model.md).
"""

from __future__ import annotations

import hashlib
import secrets
import time

from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.managers import normalize_email_address
from common.ratelimit import Budget

ADDRESS_FACTOR = 4
DEVICE_TOKEN_SECONDS = 30 * 24 * 3600
# The kinds of cache key (docs/explanation/login-policy.md):
# ``login-policy:<kind>:<SHA-256 of the parts>``.
ADDRESS, PAIR, FAILURES, DEVICE = "address", "pair", "failures", "device"


class _LoginRate(SimpleRateThrottle):
    """DRF's rate syntax and client-address rule (``NUM_PROXIES``); never used as a throttle.

    The rate is read on each use, so a changed setting (tests, ``override_settings``) applies.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get("login")


def _key(kind: str, *parts: object) -> str:
    # Hashed: keys stay short, and hold no email address, client address or other caller-chosen
    # characters. NUL cannot occur in an email address, a client address or a window number.
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()
    return f"login-policy:{kind}:{digest}"


def _window(duration: int) -> tuple[int, int]:
    """The current fixed window's number and the whole seconds left in it (1 to ``duration``).

    The number is part of each counter's key and the seconds left are its timeout: the count
    restarts when the window ends even if the cache's clock and ours disagree.
    """
    number, elapsed = divmod(int(time.time()), duration)
    return number, duration - elapsed


def _count(key: str, timeout: int) -> int:
    """Add one to a counter that expires with its window; returns the new value."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # it expired between the two calls
        cache.set(key, 1, timeout=timeout)
        return 1


def _account(email: object) -> str | None:
    if not isinstance(email, str) or not email.strip():
        return None
    return normalize_email_address(email)


def _device_salt(account: str) -> str:
    # The account is in the salt, not the token: a token holds only a random nonce, and verifies
    # for no other account.
    return f"accounts.login_policy.device:{account}"


def device_token_issue(email: str) -> str:
    """A new device token for the account ``email`` (signed with ``SECRET_KEY``; it names a random
    device, not the account)."""
    salt = _device_salt(normalize_email_address(email))
    return signing.dumps(secrets.token_urlsafe(16), salt=salt)


def device_from_token(token: object, email: object) -> str | None:
    """The device a token names if it is a device token of the account ``email`` issued within
    ``DEVICE_TOKEN_SECONDS``; else ``None`` (any value, of any type: an untrusted device)."""
    account = _account(email)
    if account is None or not isinstance(token, str):
        return None
    try:
        nonce = signing.loads(token, salt=_device_salt(account), max_age=DEVICE_TOKEN_SECONDS)
    except signing.BadSignature:  # altered, another account's, expired, or not a token at all
        return None
    return f"token:{nonce}"


def login_policy_check(request: HttpRequest, email: object, *, device: str | None = None) -> None:
    """Count this attempt, and refuse it if a limit of the policy is spent.

    ``email`` is what the caller typed (any type; only a non-blank string names an account);
    ``device``, a trusted device (``device_from_token``, or the caller's session), if any.
    Raises DRF's ``Throttled`` with ``wait`` set to the seconds until the window ends: the API
    answers 429 with ``Retry-After``; other doors read ``wait`` themselves. What is left of the
    per-pair and per-address limits goes to ``request.rate_limit_budgets`` (the API's RateLimit
    headers); the account's cap is not told: it would tell strangers about an account's failures.
    """
    rate = _LoginRate()
    if rate.rate is None:
        return
    limit, duration = rate.num_requests, rate.duration
    window, wait = _window(duration)
    address = rate.get_ident(request)
    quota = limit * ADDRESS_FACTOR
    used = _count(_key(ADDRESS, address, window), wait)
    budgets = [Budget(ADDRESS, quota, duration, quota - used, wait)]
    spent = used > quota
    account = _account(email)
    if account is not None:
        used = _count(_key(PAIR, account, address, window), wait)
        budgets.insert(0, Budget(PAIR, limit, duration, limit - used, wait))
        spent |= used > limit
        # One round trip for both: the account's failures and the device's.
        failures_key, device_key = _key(FAILURES, account, window), _key(DEVICE, device, window)
        found = cache.get_many([failures_key, device_key] if device else [failures_key])
        trusted = device is not None and found.get(device_key, 0) < limit
        if not trusted and found.get(failures_key, 0) >= limit:
            spent = True
    request.rate_limit_budgets = budgets
    if spent:
        raise Throttled(wait=wait)


def login_policy_failure(request: HttpRequest, email: str, *, device: str | None = None) -> None:
    """Count a wrong password, checked after ``login_policy_check`` let the attempt through.

    ``email`` is the validated address whose password was checked; ``device`` is the one given to
    the check. A trusted device's failure counts towards that device's limit; once the device has
    spent it, its failures count towards the account's cap, with the untrusted devices'.
    """
    rate = _LoginRate()
    if rate.rate is None:
        return
    window, wait = _window(rate.duration)
    if device is not None and _count(_key(DEVICE, device, window), wait) <= rate.num_requests:
        return
    _count(_key(FAILURES, normalize_email_address(email), window), wait)
