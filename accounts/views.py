from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import JWTAuthentication
from accounts.serializers import LoginSerializer, MeSerializer, TokenSerializer
from accounts.services import token_obtain, user_tokens_revoke
from accounts.throttling import LoginAddressThrottle, LoginEmailThrottle
from common.openapi import AUTHENTICATED, THROTTLED, ErrorSerializer, field_errors


# Error reports (debug pages, error mails) must not show the password or the token.
@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(APIView):
    """Exchange an email and password for an access token."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (LoginAddressThrottle, LoginEmailThrottle)

    @extend_schema(
        tags=["auth"],
        summary="Log in",
        auth=[],  # public: no padlock in Swagger UI
        description="Any active user gets a token; only admins (staff) may use the API with it.",
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            400: field_errors("The body is malformed.", {"email": ["This field is required."]}),
            401: OpenApiResponse(ErrorSerializer, description="Wrong email or password."),
            429: THROTTLED,
        },
        examples=[
            OpenApiExample(
                "Credentials",
                value={"email": "admin@example.com", "password": "your password"},
                request_only=True,
            ),
            OpenApiExample(
                "Token",
                value={"access_token": "eyJhbGciOi…", "token_type": "Bearer", "expires_in": 3600},
                response_only=True,
            ),
        ],
    )
    @sensitive_variables("serializer", "token", "body")
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = token_obtain(request=request, **serializer.validated_data)
        if token is None:
            raise AuthenticationFailed(_("The email or password is incorrect."))
        body = {"access_token": token.value, "token_type": "Bearer", "expires_in": token.expires_in}
        return Response(TokenSerializer(body).data, headers={"Cache-Control": "no-store"})

    def get_authenticate_header(self, request) -> str:
        # A 401 must name a scheme (RFC 9110); this one has no authenticator of its own.
        return JWTAuthentication().authenticate_header(request)


class LogoutView(APIView):
    """Revoke every token of the calling admin."""

    @extend_schema(
        tags=["auth"],
        summary="Log out everywhere",
        description="Every token of this admin stops working at once, this one included.",
        request=None,
        responses={204: OpenApiResponse(description="Logged out."), **AUTHENTICATED},
    )
    def post(self, request):
        user_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The admin the token belongs to."""

    @extend_schema(
        tags=["auth"],
        summary="Who am I",
        responses={200: MeSerializer, **AUTHENTICATED},
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)
