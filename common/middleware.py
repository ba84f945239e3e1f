"""Dependency outages are answered, not crashed: 503 with ``Retry-After``, never a 500.

``DependencyOutageMiddleware`` turns the errors that mean "the database or the cache does not
answer" into a 503, wherever the view raised them (a login's throttle counters, the token's user
row, a catalog query, the admin's session): ``{"detail": …}`` JSON under ``/api/``, a short HTML
page elsewhere. Connection timeouts are bounded in settings (PostgreSQL ``connect_timeout``, Redis
socket timeouts), so the answer comes within about two seconds. Nothing is kept between
requests: Django drops a broken database connection at the end of the request and checks a kept
one before reuse (``CONN_HEALTH_CHECKS``), so the service recovers by itself when the dependency
returns.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.errors import is_api_request, json_error

logger = logging.getLogger(__name__)

# Unreachable, connection lost, timed out (psycopg and sqlite3 errors arrive wrapped in Django's).
OUTAGE_ERRORS = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = _("The service is temporarily unavailable. Try again later.")


def outage_response(request: HttpRequest) -> HttpResponse:
    """The 503 for a request that a dependency outage interrupted."""
    if is_api_request(request):
        response = json_error(HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE)
    else:
        page = render_to_string("outage.html", {"message": UNAVAILABLE})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DependencyOutageMiddleware:
    """Answers 503 + ``Retry-After`` when a view fails because PostgreSQL or Redis is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OUTAGE_ERRORS):
            return None
        # The error's class and text name the dependency and host, never a password.
        logger.warning(
            "%s %s: dependency unavailable (%s: %s)",
            request.method,
            request.path,
            type(exception).__name__,
            exception,
        )
        return outage_response(request)
