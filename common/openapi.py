"""Error responses shared by the OpenAPI descriptions of every app (DRF's error shapes)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from common.errors import ERROR_CODES
from common.pagination import StrictPageNumberPagination
from common.serializers import BLANK_CHARACTERS


class LabelledDjangoFilterExtension(DjangoFilterExtension):
    """django-filter parameters described by their ``label`` (or ``help_text``) even when the
    filter class declares its schema with ``@extend_schema_field``, where drf-spectacular's own
    extension leaves the description out; the range stays in the declared schema."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            if not parameter.get("description"):
                description = self._get_field_description(filter_field, None)
                if description:
                    parameter["description"] = description
        return parameters


def _escaped(characters: str) -> str:
    """Each character as a ``\\uXXXX`` escape: read alike by ECMA-262 and Python patterns."""
    return "".join(f"\\u{ord(character):04x}" for character in characters)


# No NUL anywhere (DRF refuses it in every text), and, where a blank text is refused, at least
# one character that is neither NUL nor blank (``BLANK_CHARACTERS``, listed one by one: ``\S``
# means one thing to Python and another to ECMA-262).
NUL = _escaped(chr(0))
NOT_BLANK = f"^[^{NUL}]*[^{_escaped(BLANK_CHARACTERS)}{NUL}][^{NUL}]*$"


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """The rules of a text the server enforces, as patterns: no NUL character, and for a
    required text that is trimmed, a character that is not blank (DRF refuses ``"   "``;
    ``minLength`` alone would allow it)."""

    target_class = "common.serializers.StrictCharField"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self.target.trim_whitespace and not self.target.allow_blank:
            schema["pattern"] = NOT_BLANK
        else:
            # Not a pattern: drf-spectacular would wrap a blank-allowing text's pattern in a
            # oneOf with "" that "" then matches twice.
            schema["not"] = {"pattern": NUL}
        return schema


ERROR_DESCRIPTION = _(
    "Every error that is not a field error: a message in the request's language, and a code "
    "that is the same in every language."
)


class ErrorSerializer(serializers.Serializer):
    """Every error that is not a field error (``ERROR_DESCRIPTION``)."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=ERROR_CODES)


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: each invalid field or parameter with its messages, or ``detail`` alone when the
    body is not JSON. Its schema is ``ValidationErrorSchema``'s: one component every operation
    refers to, so a generated client has one typed model for every 400."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction) -> dict:
        return {
            "type": "object",
            "description": _(
                "Each invalid field or query parameter, with its messages; or, for a body that "
                "is not valid JSON, only detail."
            ),
            "properties": {
                "detail": {"type": "string", "description": _("Why the body could not be read.")},
                "code": {"$ref": "#/components/schemas/ErrorCodeEnum"},
            },
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }


def field_errors(description: str, example: dict | None = None) -> OpenApiResponse:
    examples = (
        [OpenApiExample("Field errors", value=example, summary=_("Field errors"))]
        if example
        else []
    )
    return OpenApiResponse(ValidationErrorSerializer, description=description, examples=examples)


UNAUTHORIZED = OpenApiResponse(
    ErrorSerializer,
    description=_(
        "No token, or a malformed, expired, revoked or otherwise invalid one. "
        "The WWW-Authenticate header says why (RFC 6750)."
    ),
)
FORBIDDEN = OpenApiResponse(ErrorSerializer, description=_("The token's user is not an admin."))
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such resource or page."))
THROTTLED = OpenApiResponse(
    ErrorSerializer,
    description=_("Too many attempts; retry after the Retry-After header's seconds."),
)
AUTHENTICATED = {401: UNAUTHORIZED, 403: FORBIDDEN}
SERVICE_UNAVAILABLE = OpenApiResponse(
    ErrorSerializer,
    description=_("A dependency (database or cache) does not answer; retry after Retry-After."),
)


def declare_empty_query_values(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: say which query parameters take an empty value.

    django-filter and DRF's search treat ``?year=`` as no filter at all, so an empty value is
    accepted (``allowEmptyValue``); the page number and size are the exception, where it is a 400.
    """
    strict = {
        StrictPageNumberPagination.page_query_param,
        StrictPageNumberPagination.page_size_query_param,
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                if parameter.get("in") == "query" and parameter["name"] not in strict:
                    parameter["allowEmptyValue"] = True
    return result


def move_named_schemas_to_components(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: a parameter schema (or its array's items) marked
    ``x-component-name`` becomes that named component, referred to by ``$ref``.

    drf-spectacular makes components of serializers and model-choice enums only; a query
    parameter's enum (the movie ordering) would otherwise be an anonymous copy in each operation,
    named by a client generator after the operation.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                holder = parameter["schema"]
                key = "items" if "items" in holder else None
                schema = holder[key] if key else holder
                name = schema.pop("x-component-name", None) if isinstance(schema, dict) else None
                if name is None:
                    continue
                components[name] = schema
                reference = {"$ref": f"#/components/schemas/{name}"}
                if key:
                    holder[key] = reference
                else:
                    parameter["schema"] = reference
    result["components"]["schemas"] = dict(sorted(components.items()))
    return result


def forbid_unknown_request_fields(result: dict, generator, request, public) -> dict:
    """Request bodies take only their declared fields (``common.serializers.
    KnownFieldsOnlyMixin``): ``additionalProperties: false``. The read-only fields of the
    resource they write (``MovieRequest`` writes ``Movie``) are declared too, ``readOnly``: the
    server accepts and ignores them, so a body read with GET can be sent back."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if not name.endswith("Request") or schema.get("type") != "object":
            continue
        resource = schemas.get(name.removesuffix("Request").removeprefix("Patched"), {})
        for field, definition in resource.get("properties", {}).items():
            if definition.get("readOnly"):
                schema.setdefault("properties", {}).setdefault(field, definition)
        schema["additionalProperties"] = False
    return result


# The headers the server sends, declared once and referred to by each response that carries them.
RESPONSE_HEADERS = {
    "Retry-After": {
        "description": _("Seconds to wait before trying again."),
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {
        "description": _(
            'The Bearer challenge (RFC 6750): realm="api", and for a token that was sent, '
            'error="invalid_token" with an error_description.'
        ),
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": _(
            'The limits of this endpoint (IETF draft "RateLimit header fields for HTTP", -09): '
            '"name";q=<requests>;w=<seconds>, one per limit.'
        ),
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": _(
            'What is left of each limit: "name";r=<requests left>;t=<seconds until restored>.'
        ),
        "schema": {"type": "string"},
    },
    "Location": {
        "description": _("The address of the resource just created."),
        "schema": {"type": "string", "format": "uri"},
    },
    "ETag": {
        "description": _(
            "The version of the resource (a strong entity tag): send it back in If-Match to "
            "write over this version only, or in If-None-Match to read only if it changed."
        ),
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": _("private, no-cache: keep it, but ask (If-None-Match) before each use."),
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": _("true: the answer of the first request with this Idempotency-Key."),
        "schema": {"type": "string", "enum": ["true"]},
    },
}
# The answers that carry a movie's version (common.conditional).
TAGGED = {
    ("movies_retrieve", "200"),
    ("movies_retrieve", "304"),
    ("movies_update", "200"),
    ("movies_partial_update", "200"),
}
# Operations under a limit (common.ratelimit): every answer tells what is left of it.
RATE_LIMITED_OPERATIONS = {"auth_login", "auth_refresh", "auth_password_change"}
# The codes (ERROR_CODES) each error status can carry; a few operations answer their own 401.
STATUS_CODES = {
    "401": ("not_authenticated", "token_invalid", "token_expired", "token_revoked"),
    "403": ("not_admin",),
    "404": ("not_found",),
    "409": ("login_conflict",),
    "412": ("precondition_failed",),
    "422": ("idempotency_key_reused",),
    "428": ("precondition_required",),
    "413": ("request_too_large",),
    "415": ("unsupported_media_type",),
    "429": ("throttled",),
    "503": ("service_unavailable",),
}
OPERATION_CODES = {
    ("auth_login", "401"): ("invalid_credentials",),
    ("auth_refresh", "401"): ("refresh_invalid",),
    ("movies_create", "409"): ("idempotency_key_in_use",),
}


def declare_responses_and_headers(result: dict, generator, request, public) -> dict:
    """Every status an API operation can answer, the error codes of each, and every header each
    answer carries: 400 on each (too many parameters, a Host not served), 503 with ``Retry-After``
    on each (each reads the database), 413 and 415 on each that takes a
    body, ``WWW-Authenticate`` on 401s, ``Retry-After`` on 429s, the RateLimit fields on every
    answer of a limited operation, ``Location`` on 201s."""
    components = result.setdefault("components", {})
    # Lazy texts here and below: texts_in_the_schemas_language, the last hook, translates them.
    components["headers"] = {name: dict(header) for name, header in RESPONSE_HEADERS.items()}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    invalid = {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}
    refused = _(
        "A request the server refuses before reading it: more than 1000 query parameters, "
        "or a Host it does not serve."
    )
    extra_statuses = {
        "413": _("The body is larger than the server accepts."),
        "415": _("The body is not JSON (Content-Type: application/json)."),
    }
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation["responses"]
            if path.startswith("/api/"):
                responses.setdefault("400", {"description": refused, "content": invalid})
                responses.setdefault(
                    "503", {"description": SERVICE_UNAVAILABLE.description, "content": error}
                )
                if "requestBody" in operation:
                    for status, description in extra_statuses.items():
                        responses.setdefault(status, {"description": description, "content": error})
            for status, response in responses.items():
                codes = OPERATION_CODES.get(
                    (operation.get("operationId"), status), STATUS_CODES.get(status)
                )
                if codes and "$ref" not in response:
                    listed = ", ".join(f"`{code}`" for code in codes)
                    described = response.get("description", "")
                    response["description"] = f"{described} {_('Codes: %s.') % listed}".strip()
                names = []
                if status == "401":
                    names.append("WWW-Authenticate")
                if status in ("429", "503"):
                    names.append("Retry-After")
                if status == "201":
                    names.append("Location")
                    if operation.get("operationId") == "movies_create":
                        names.append("Idempotent-Replayed")
                if (operation.get("operationId"), status) in TAGGED:
                    names += ["ETag", "Cache-Control"]
                # Counted before the body is read, unless the body or the cache fails first.
                limited = operation.get("operationId") in RATE_LIMITED_OPERATIONS
                if limited and status not in ("413", "415", "503"):
                    names += ["RateLimit-Policy", "RateLimit"]
                if names:
                    response["headers"] = {
                        name: {"$ref": f"#/components/headers/{name}"} for name in names
                    }
    return result


def declare_public_operations(result: dict, generator, request, public) -> dict:
    """An operation without authentication says so (``security: []``) rather than saying
    nothing, which linters (Redocly's ``security-defined``) read as forgotten."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("security", [])
    return result


def texts_in_the_schemas_language(result: dict, generator, request, public) -> dict:
    """Every text of the schema in the language the schema view set (``?lang=``), now: a lazy
    translation left in it would be rendered after the view, in the request's language.

    A component keeps a description only if it is a translatable text: drf-spectacular takes a
    serializer's docstring, written for this code's developers, in no language but English.
    Fields have no title (their name is theirs)."""
    schemas = result.get("components", {}).get("schemas", {})
    for component in schemas.values():
        if not isinstance(component.get("description"), Promise):
            component.pop("description", None)
        # drf-spectacular gives a field a title only where its label differs from its name:
        # in Spanish alone. The schema's shape must not depend on its language.
        for field in component.get("properties", {}).values():
            field.pop("title", None)
    if "Error" in schemas:
        schemas["Error"]["description"] = ERROR_DESCRIPTION
    return _forced(result)


def _forced(value):
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: _forced(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_forced(item) for item in value]
    return value
