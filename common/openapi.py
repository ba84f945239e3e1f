"""Error responses shared by the OpenAPI descriptions of every app (DRF's error shapes)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from common.pagination import StrictPageNumberPagination


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# A 400 is either DRF's parse error ({"detail": ...}) or its validation errors (field → messages).
BAD_REQUEST_SCHEMA = {
    "anyOf": [
        {
            "type": "object",
            "description": "The body is not valid JSON.",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
        {
            "type": "object",
            "description": "Each invalid field or parameter, with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    ]
}


def field_errors(description: str, example: dict | None = None) -> OpenApiResponse:
    examples = [OpenApiExample("Field errors", value=example)] if example else []
    return OpenApiResponse(BAD_REQUEST_SCHEMA, description=description, examples=examples)


UNAUTHORIZED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "No token, or a malformed, expired, revoked or otherwise invalid one. "
        "The WWW-Authenticate header says why (RFC 6750)."
    ),
)
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="The token's user is not an admin.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such resource or page.")
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="Too many attempts; retry after the Retry-After header's seconds."
)
AUTHENTICATED = {401: UNAUTHORIZED, 403: FORBIDDEN}


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
