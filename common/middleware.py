"""Dependency outages are answered, not crashed: 503 with ``Retry-After``, never a 500.

``DependencyOutageMiddleware`` turns the errors that mean "the database or the cache does not
answer" into a 503, wherever the view raised them (a login's throttle counters, the token's user
row, a catalog query, the admin's session): ``{"detail": …}`` JSON under ``/api/``, a short HTML
page elsewhere. Waits are bounded in settings (PostgreSQL ``connect_timeout``, keepalives and
``statement_timeout``, Redis socket timeouts), so the answer comes within seconds. Nothing is
kept between requests: Django drops a broken database connection at the end of the request and
checks a kept one before reuse (``CONN_HEALTH_CHECKS``), so the service recovers by itself when
the dependency returns.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import redis
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.errors import is_api_request, json_error

logger = logging.getLogger(__name__)

# Unreachable, connection lost, timed out, statement cancelled (psycopg and sqlite3 errors arrive
# wrapped in Django's), and any error of Redis: refusing writes (out of memory, a read-only
# replica after a failover) is as much an outage of the cache as not answering.
OUTAGE_ERRORS = (OperationalError, InterfaceError, redis.exceptions.RedisError)
# A database that answers but refuses writes (a read-only standby, default_transaction_read_only)
# raises InternalError with this SQLSTATE.
READ_ONLY_SQL_TRANSACTION = "25006"
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
        if not is_outage(exception):
            return None
        # The error's class and text name the dependency and host, never a password. The path is
        # escaped as Django escapes it in its own request log, so it cannot forge a log line.
        logger.warning(
            "%s %s: dependency unavailable (%s: %s)",
            request.method,
            request.path.encode("unicode_escape").decode("ascii"),
            type(exception).__name__,
            exception,
        )
        return outage_response(request)


def is_outage(exception: Exception) -> bool:
    """Whether ``exception`` means a dependency is down or refuses work, rather than a bug."""
    if isinstance(exception, OUTAGE_ERRORS):
        return True
    cause = exception.__cause__
    return isinstance(exception, InternalError) and (
        getattr(cause, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION
    )
