"""The API documentation pages (Swagger UI, Redoc), each sent with a Content-Security-Policy."""

import json

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)


# Every script and stylesheet comes from this server (drf-spectacular-sidecar), and none is inline
# (the split view serves Swagger UI's start-up script as a file), so an injected script can
# neither run nor send the token Swagger UI keeps for the tab elsewhere. Both UIs set style
# attributes, and Redoc starts its search worker from a blob: URL.
def content_security_policy(*, form_action: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        )
    )


DOCS_CONTENT_SECURITY_POLICY = content_security_policy(form_action="'none'")
# Every other page the server renders (Django admin, its error and outage pages): the same, but
# the admin's forms post to this server. Django's admin runs no inline script either.
PAGE_CONTENT_SECURITY_POLICY = content_security_policy(form_action="'self'")


class PageContentSecurityPolicyMiddleware:
    """Gives every HTML answer without a Content-Security-Policy of its own the pages' one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", PAGE_CONTENT_SECURITY_POLICY)
        return response


class ContentSecurityPolicyMixin:
    """Adds ``content_security_policy`` as the Content-Security-Policy header of every answer."""

    content_security_policy = DOCS_CONTENT_SECURITY_POLICY

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = self.content_security_policy
        return response


class SwaggerUIView(ContentSecurityPolicyMixin, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from ``?script``, not inline."""


# Redoc's own words (its `labels` option), each key one of Redoc's.
REDOC_LABELS = {
    "enum": _("Values"),
    "enumSingleValue": _("Value"),
    "enumArray": _("Items"),
    "default": _("Default"),
    "deprecated": _("Deprecated"),
    "example": _("Example"),
    "examples": _("Examples"),
    "recursive": _("Recursive"),
    "arrayOf": _("Array of "),
    "webhook": _("Event"),
    "const": _("Value"),
    "noResultsFound": _("No results found"),
    "download": _("Download"),
    "downloadSpecification": _("Download the OpenAPI schema"),
    "responses": _("Responses"),
    "callbackResponses": _("Callback responses"),
    "requestSamples": _("Request samples"),
    "responseSamples": _("Response samples"),
}


def schema_language(request) -> str:
    """The language ``?lang=`` names, if offered; else English (never ``Accept-Language``)."""
    language = request.query_params.get("lang")
    return language if language in dict(settings.LANGUAGES) else "en"


class RedocView(ContentSecurityPolicyMixin, SpectacularRedocView):
    """Redoc, from a template without web fonts from elsewhere or inline script, with its own
    labels in the schema's language."""

    template_name = "docs/redoc.html"

    @extend_schema(exclude=True)  # a page, not an operation, as drf-spectacular's own
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        with translation.override(schema_language(request)):
            labels = {key: str(label) for key, label in REDOC_LABELS.items()}
        response.data["labels"] = json.dumps(labels)
        return response


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, its text in the language ``?lang=`` names (``es``), else English:
    never the caller's ``Accept-Language``, so a client generated from it reads the same
    whoever generated it."""

    @extend_schema(exclude=True)  # as drf-spectacular's own view: the schema is not an operation
    def get(self, request, *args, **kwargs):
        with translation.override(schema_language(request)):
            return super().get(request, *args, **kwargs)
