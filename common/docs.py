"""The API documentation pages (Swagger UI, Redoc), each sent with a Content-Security-Policy."""

from django.conf import settings
from django.utils import translation
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


class RedocView(ContentSecurityPolicyMixin, SpectacularRedocView):
    """Redoc, from a template without web fonts from elsewhere."""

    template_name = "docs/redoc.html"


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, its text in the language ``?lang=`` names (``es``), else English:
    never the caller's ``Accept-Language``, so a client generated from it reads the same
    whoever generated it."""

    @extend_schema(exclude=True)  # as drf-spectacular's own view: the schema is not an operation
    def get(self, request, *args, **kwargs):
        language = request.query_params.get("lang")
        if language not in dict(settings.LANGUAGES):
            language = "en"
        with translation.override(language):
            return super().get(request, *args, **kwargs)
