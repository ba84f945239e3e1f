"""OpenAPI description of our authentication class, for drf-spectacular and Swagger UI."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``JWTAuthentication`` as HTTP bearer with JWTs, so Authorize takes the token."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": _("The access_token from POST /api/auth/login/."),
        }
