"""JSON error answers under ``/api/``, whatever raised them and whether debug is on or off.

Every such body that is not a field error carries a stable ``code`` (``ERROR_CODES``), the same in
every language, one per thing a client should do: ``{"detail": "...", "code": "token_expired"}``.
Two hooks, as DRF and Django divide the work:

- ``api_exception_handler`` (DRF's ``EXCEPTION_HANDLER``) shapes the errors of API views, and
  gives each its code; Django's own request errors raised inside a view become DRF's: a body over
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413, any other ``SuspiciousOperation`` a 400. Anything
  else unhandled is left to Django, which logs it (traceback and all) and answers 500.
- ``JsonErrorsUnderApiMiddleware``, the outermost middleware, turns every other error under
  ``/api/`` into the same shape: Django's 404 for a path no route takes, its 500 page, CSRF's 403,
  debug on or off. Elsewhere (the admin) Django's pages stay.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

API_PREFIX = "/api/"
# Headers an error keeps when its body is replaced: they tell the client what to do next.
_KEPT_HEADERS = (
    "Allow",
    "ETag",
    "Retry-After",
    "RateLimit",
    "RateLimit-Policy",
    "WWW-Authenticate",
    "Vary",
    "Content-Language",
)
_TOO_MANY = (TooManyFieldsSent, TooManyFilesSent)


# The codes an error body may carry (docs/reference/errors.md), each a distinct action for a client.
ERROR_CODES = (
    "not_authenticated",
    "token_invalid",
    "token_expired",
    "token_revoked",
    "invalid_credentials",
    "refresh_invalid",
    "login_conflict",
    "idempotency_key_in_use",
    "idempotency_key_reused",
    "precondition_failed",
    "precondition_required",
    "not_admin",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "request_too_large",
    "unsupported_media_type",
    "parse_error",
    "request_timeout",
    "too_many_parameters",
    "bad_request",
    "throttled",
    "service_unavailable",
    "server_error",
)
# The code of an error known only by its status (Django's handlers, a replaced page).
_STATUS_CODES = {
    HTTPStatus.BAD_REQUEST: "bad_request",
    HTTPStatus.UNAUTHORIZED: "not_authenticated",
    HTTPStatus.FORBIDDEN: "permission_denied",
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.METHOD_NOT_ALLOWED: "method_not_allowed",
    HTTPStatus.REQUEST_TIMEOUT: "request_timeout",
    HTTPStatus.NOT_ACCEPTABLE: "not_acceptable",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "request_too_large",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    HTTPStatus.PRECONDITION_FAILED: "precondition_failed",
    HTTPStatus.PRECONDITION_REQUIRED: "precondition_required",
    HTTPStatus.TOO_MANY_REQUESTS: "throttled",
    HTTPStatus.SERVICE_UNAVAILABLE: "service_unavailable",
}
# DRF's names for what this API calls otherwise.
_RENAMED = {"authentication_failed": "token_invalid", "error": "server_error"}


class Conflict(exceptions.APIException):
    """A 409: the request met a change it cannot be applied over; its code says which."""

    status_code = HTTPStatus.CONFLICT
    default_detail = _("The request conflicts with a change made meanwhile. Try again.")


class PayloadTooLarge(exceptions.APIException):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


# More query parameters or form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (or files than
# DATA_UPLOAD_MAX_NUMBER_FILES): the request is refused whatever its size, so a 400, not a 413.
TOO_MANY_FIELDS = _("Too many query parameters or form fields.")


# The message for each status when nothing more specific is known: DRF's own where it has one.
_DETAILS = {
    HTTPStatus.BAD_REQUEST: _("Bad request."),
    HTTPStatus.UNAUTHORIZED: exceptions.NotAuthenticated.default_detail,
    HTTPStatus.FORBIDDEN: exceptions.PermissionDenied.default_detail,
    HTTPStatus.NOT_FOUND: exceptions.NotFound.default_detail,
    HTTPStatus.METHOD_NOT_ALLOWED: _("Method not allowed."),
    HTTPStatus.NOT_ACCEPTABLE: exceptions.NotAcceptable.default_detail,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: PayloadTooLarge.default_detail,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: _("Unsupported media type."),
    HTTPStatus.TOO_MANY_REQUESTS: exceptions.Throttled.default_detail,
    HTTPStatus.INTERNAL_SERVER_ERROR: exceptions.APIException.default_detail,
}
# Any other status: still a sentence in the request's language, not an English status phrase.
_OTHER_STATUS = _("The request failed (HTTP status %(status)d).")


def is_api_request(request: HttpRequest) -> bool:
    path = request.path_info
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


def error_code(status: int) -> str:
    """The code of an error known only by its ``status``."""
    return _STATUS_CODES.get(status, "server_error" if status >= 500 else "bad_request")


def json_error(status: int, detail: str | None = None, code: str | None = None) -> JsonResponse:
    """DRF's error shape, ``{"detail": ..., "code": ...}``, for ``status``."""
    if detail is None:
        detail = _DETAILS.get(status) or _OTHER_STATUS % {"status": status}
    return JsonResponse({"detail": str(detail), "code": code or error_code(status)}, status=status)


def api_exception_handler(exc: Exception, context: dict):
    """DRF's handler, also answering Django's request errors raised inside an API view."""
    if isinstance(exc, SuspiciousOperation):
        request = getattr(context.get("request"), "_request", None)
        # Django logs these to django.security.<name>; it never sees them when DRF answers.
        logging.getLogger(f"django.security.{type(exc).__name__}").warning(
            "%s: %s", exc, getattr(request, "path", ""), extra={"request": request}
        )
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge()
        elif isinstance(exc, _TOO_MANY):
            exc = exceptions.ParseError(TOO_MANY_FIELDS, code="too_many_parameters")
        else:
            exc = exceptions.ParseError()
    elif isinstance(exc, Http404):
        # Django's "No Movie matches the given query." names a model and has no translation;
        # DRF's "Not found." has one in every language the API offers.
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    data = None if response is None else response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        # Not a field error: say what it is in a word that does not depend on the language.
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else error_code(response.status_code)
        response.data["code"] = _RENAMED.get(code, code)
    return response


class JsonErrorsUnderApiMiddleware:
    """Under ``/api/``, an error response that is not JSON becomes ``{"detail": ...}`` with the
    same status (and the headers that say what to do next). Put it first in ``MIDDLEWARE``, so it
    also sees the pages Django renders for exceptions raised in other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_request(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        replacement = json_error(response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement
