"""One login policy for every door that checks a password: the API login, Django admin's login
form, and any other view that asks for a password (password change reuses it).

Call ``login_policy_check(request, email)`` before checking the password and
``login_policy_record(request, email, success=...)`` after. The rate is ``LOGIN_THROTTLE_RATE``
(DRF's ``login`` rate, e.g. ``5/min``): R attempts per window. In each fixed window:

- per (email, client address): at most R attempts;
- per client address, whatever the email: at most ``ADDRESS_FACTOR`` times R attempts, so one
  address cannot spray passwords over many accounts, yet a shared office address is not one user;
- per account (email), from any number of addresses: at most R *failed* passwords — a cap on a
  distributed guesser that does not apply to an address that has logged in to that account
  successfully within ``KNOWN_ADDRESS_SECONDS``, so the owner is not locked out by strangers.

Counters live in Django's cache, which is Redis when ``REDIS_URL`` is set: every worker and machine
counts together, and a counter is one atomic ``INCR``. If the cache does not answer, its error
propagates and ``common.middleware.DependencyOutageMiddleware`` answers 503 with ``Retry-After``:
logins are refused rather than left unlimited (see docs/explanation/security-model.md).
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.managers import normalize_email_address
from common.ratelimit import Budget

ADDRESS_FACTOR = 4
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600
# The kinds of cache key (docs/explanation/login-policy.md):
# ``login-policy:<kind>:<SHA-256 of the parts>``.
ADDRESS, PAIR, FAILURES, KNOWN = "address", "pair", "failures", "known"


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


def login_policy_check(request: HttpRequest, email: object) -> None:
    """Count this attempt, and refuse it if a limit of the policy is spent.

    ``email`` is what the caller typed (any type; only a non-blank string names an account).
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
        # One round trip for both: the account's failures and whether this address is known.
        failures_key, known_key = _key(FAILURES, account, window), _key(KNOWN, account, address)
        found = cache.get_many([failures_key, known_key])
        if found.get(failures_key, 0) >= limit and not found.get(known_key):
            spent = True
    request.rate_limit_budgets = budgets
    if spent:
        raise Throttled(wait=wait)


def login_policy_record(request: HttpRequest, email: str, *, success: bool) -> None:
    """Record the outcome of a password check that ``login_policy_check`` let through.

    ``email`` is the validated address whose password was checked (never blank: no password is
    checked without one). A failure counts towards the account's cap; a success makes this
    address known to the account, so the account's cap no longer applies to it.
    """
    rate = _LoginRate()
    if rate.rate is None:
        return
    account = normalize_email_address(email)
    address = rate.get_ident(request)
    if success:
        cache.set(_key(KNOWN, account, address), True, timeout=KNOWN_ADDRESS_SECONDS)
    else:
        window, wait = _window(rate.duration)
        _count(_key(FAILURES, account, window), wait)
