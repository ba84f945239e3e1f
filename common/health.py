"""Liveness and readiness probe for load balancers: is the database answering?"""

import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

_STATUS = inline_serializer(
    "HealthStatus", {"status": serializers.ChoiceField(choices=["ok", "unavailable"])}
)


class HealthView(APIView):
    """``GET /healthz``: 200 ``{"status": "ok"}`` when the database answers, else 503."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["health"],
        summary="Health check",
        auth=[],  # public: no padlock in Swagger UI
        responses={
            200: OpenApiResponse(_STATUS, description="The database answers."),
            503: OpenApiResponse(_STATUS, description="The database does not answer."),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            logger.exception("Health check: the database did not answer")
            return Response({"status": "unavailable"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"status": "ok"})
