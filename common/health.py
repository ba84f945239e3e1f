"""Liveness and readiness probe for load balancers: does each dependency answer?"""

import logging

from django.core.cache import cache
from django.db import Error as DatabaseError
from django.db import connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.middleware import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)

OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"
# Named enums in the schema (ENUM_NAME_OVERRIDES): HealthStatusEnum and DependencyStateEnum.
HEALTH_STATES = [OK, DEGRADED, UNAVAILABLE]
DEPENDENCY_STATES = [OK, UNAVAILABLE]


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        HEALTH_STATES,
        help_text=_(
            "ok: every dependency answers; degraded: the cache does not (logins are refused, "
            "everything else works); unavailable: the database does not."
        ),
    )
    database = serializers.ChoiceField(DEPENDENCY_STATES)
    cache = serializers.ChoiceField(DEPENDENCY_STATES)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # An outage, not a bug: one line, no traceback.
        logger.warning("Health check: the database did not answer (%s)", type(error).__name__)
        return False
    return True


def _cache_answers() -> bool:
    try:
        # A write: a cache that answers reads but refuses writes (out of memory, a read-only
        # replica) cannot count a login, so it does not answer for the login policy either.
        cache.set("healthz-probe", 1, timeout=60)
    except Exception as error:  # any backend's own error: a probe reports, it does not crash
        logger.warning("Health check: the cache did not answer (%s)", type(error).__name__)
        return False
    return True


class HealthView(APIView):
    """``GET /healthz``: each dependency's state; 503 when the database does not answer.

    Exempt from the HTTPS redirect (``SECURE_REDIRECT_EXEMPT``), so plain-HTTP probes work.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["health"],
        operation_id="health",
        summary=_("Health check"),
        description=_(
            "Whether each dependency answers, for load balancers: take an instance out of "
            "rotation on 503. Plain HTTP is answered too (no redirect to HTTPS)."
        ),
        auth=[],  # public: no padlock in Swagger UI
        responses={
            200: OpenApiResponse(
                HealthSerializer,
                description=_("The database answers; the cache may not (status degraded)."),
                examples=[
                    OpenApiExample(
                        "All up",
                        {"status": OK, "database": OK, "cache": OK},
                        summary=_("All up"),
                    ),
                    OpenApiExample(
                        "Cache down",
                        {"status": DEGRADED, "database": OK, "cache": UNAVAILABLE},
                        summary=_("Cache down"),
                    ),
                ],
            ),
            503: OpenApiResponse(
                HealthSerializer,
                description=_("The database does not answer."),
                examples=[
                    OpenApiExample(
                        "Database down",
                        {"status": UNAVAILABLE, "database": UNAVAILABLE, "cache": OK},
                        summary=_("Database down"),
                    )
                ],
            ),
        },
    )
    def get(self, request):
        database = OK if _database_answers() else UNAVAILABLE
        cache_state = OK if _cache_answers() else UNAVAILABLE
        if database == UNAVAILABLE:
            overall, code = UNAVAILABLE, status.HTTP_503_SERVICE_UNAVAILABLE
        else:
            overall, code = (OK if cache_state == OK else DEGRADED), status.HTTP_200_OK
        body = {"status": overall, "database": database, "cache": cache_state}
        headers = {"Cache-Control": "no-store"}
        if code == status.HTTP_503_SERVICE_UNAVAILABLE:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Response(body, status=code, headers=headers)
