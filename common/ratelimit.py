"""RateLimit header fields: a throttled endpoint tells the client its budget before it runs out.

The format is the IETF HTTPAPI working group's draft "RateLimit header fields for HTTP"
(draft-ietf-httpapi-ratelimit-headers-09): each limit that applies is a named policy,

    RateLimit-Policy: "pair";q=5;w=60, "address";q=20;w=60
    RateLimit: "pair";r=4;t=42, "address";r=19;t=42

``q`` is the quota (requests per window), ``w`` the window in seconds, ``r`` what is left of the
quota and ``t`` the seconds until it is restored. Sent on every answer of a throttled endpoint,
429s included (with ``Retry-After``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rest_framework.throttling import SimpleRateThrottle


@dataclass(frozen=True)
class Budget:
    """One limit as it stands for this request."""

    policy: str
    quota: int
    window: int
    remaining: int
    reset: int


def ratelimit_headers(budgets: list[Budget]) -> dict[str, str]:
    return {
        "RateLimit-Policy": ", ".join(f'"{b.policy}";q={b.quota};w={b.window}' for b in budgets),
        "RateLimit": ", ".join(
            f'"{b.policy}";r={max(b.remaining, 0)};t={b.reset}' for b in budgets
        ),
    }


def throttle_budget(throttle: SimpleRateThrottle) -> Budget | None:
    """The budget of one of DRF's throttles once it has judged the request (a sliding log: the
    quota is restored, one request at a time, as the oldest one leaves the window)."""
    history = getattr(throttle, "history", None)
    if history is None:  # no rate set, or the request was not judged
        return None
    reset = math.ceil(history[-1] + throttle.duration - throttle.now) if history else 0
    return Budget(
        policy=throttle.scope,
        quota=throttle.num_requests,
        window=throttle.duration,
        remaining=throttle.num_requests - len(history),
        reset=max(reset, 0),
    )


class RateLimitHeadersMixin:
    """An API view whose answers carry the RateLimit fields: of its DRF throttles, and of the
    budgets its handler put in ``request.rate_limit_budgets`` (the login policy's)."""

    def get_throttles(self):
        self.judged_throttles = super().get_throttles()
        return self.judged_throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        budgets = list(getattr(request, "rate_limit_budgets", ()))
        for throttle in getattr(self, "judged_throttles", ()):
            budget = throttle_budget(throttle)
            if budget is not None:
                budgets.append(budget)
        if budgets:
            for name, value in ratelimit_headers(budgets).items():
                response[name] = value
        return response
