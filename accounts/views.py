import re
import uuid

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.fields import Field
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.authentication import REVOKED, SESSION_ENDED, JWTAuthentication
from accounts.login_policy import (
    device_from_token,
    device_token_issue,
    login_policy_check,
    login_policy_failure,
)
from accounts.models import EndReason
from accounts.selectors import user_sessions_live
from accounts.serializers import (
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    RefreshSerializer,
    SessionSerializer,
    TokenSerializer,
)
from accounts.services import (
    REFRESH_INVALID,
    CurrentPasswordChanged,
    LoginConflict,
    RefreshRefused,
    SessionEnded,
    TokenPair,
    session_end,
    session_refresh,
    sessions_end,
    token_obtain,
    user_password_change,
    user_sessions_end,
)
from common.errors import Conflict
from common.openapi import (
    NOT_FOUND,
    SERVICE_UNAVAILABLE,
    THROTTLED,
    UNAUTHORIZED,
    ErrorSerializer,
    field_errors,
)
from common.ratelimit import RateLimitHeadersMixin

# DRF's own message for a missing field, as the examples show it.
REQUIRED = Field.default_error_messages["required"]
# Token responses must not be kept by any cache (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store"}
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)

TOKEN_PAIR_EXAMPLE = OpenApiExample(
    "Token pair",
    summary=_("Token pair"),
    value={
        "access_token": "eyJhbGciOi…",
        "token_type": "Bearer",
        "expires_in": 900,
        "refresh_token": "3f0c…e1.Qm9yZWQ…",
        "refresh_expires_in": 1209600,
        "device_token": "ImJ3Q1h…:1uYk2R:x7Q…",
    },
    response_only=True,
)


class RefreshAddressThrottle(AnonRateThrottle):
    """Limits refresh attempts per client address (``REFRESH_THROTTLE_RATE``)."""

    scope = "refresh"


def token_pair_response(pair: TokenPair) -> Response:
    body = {
        "access_token": pair.access.value,
        "token_type": "Bearer",
        "expires_in": pair.access.expires_in,
        "refresh_token": pair.refresh.value,
        "refresh_expires_in": pair.refresh_expires_in,
        "device_token": device_token_issue(pair.email),
    }
    return Response(TokenSerializer(body).data, headers=NO_STORE)


class AccountView(APIView):
    """The caller's own account: any signed-in, active user, admin or not, may log out, see and
    end their sessions and change their password (only the catalog needs an admin)."""

    permission_classes = (IsAuthenticated,)


class PublicTokenView(RateLimitHeadersMixin, APIView):
    """A token endpoint anyone may call: no authentication, 401s still name the Bearer scheme."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request) -> str:
        # A 401 must name a scheme (RFC 9110); this view has no authenticator of its own.
        return JWTAuthentication().authenticate_header(request)


LOGIN_CONFLICT = _("The account changed while the password was being checked. Try again.")


# Error reports (debug pages, error mails) must not show the password or the tokens.
@method_decorator(sensitive_post_parameters("password", "device_token"), name="dispatch")
class LoginView(PublicTokenView):
    """Exchange an email and password for a new session's access and refresh tokens, under the
    login policy (accounts/login_policy.py): a refused attempt is a 429 with ``Retry-After``."""

    @extend_schema(
        operation_id="auth_login",
        summary=_("Log in"),
        auth=[],  # public: no padlock in Swagger UI
        description=_(
            "Starts a session. Any active user gets tokens; only admins (staff) may use the "
            "catalog with them. In this page, a successful login also authorizes the page. "
            "Attempts are limited (429, see the RateLimit headers), a rule no schema can state."
        ),
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            400: field_errors(_("The body is malformed."), {"email": [REQUIRED]}),
            401: OpenApiResponse(ErrorSerializer, description=_("Wrong email or password.")),
            409: OpenApiResponse(
                ErrorSerializer,
                description=_("The account changed while the password was checked: try again."),
            ),
            429: THROTTLED,
            503: SERVICE_UNAVAILABLE,
        },
        examples=[
            OpenApiExample(
                "Credentials",
                summary=_("Credentials"),
                value={"email": "admin@example.com", "password": "your password"},
                request_only=True,
            ),
            TOKEN_PAIR_EXAMPLE,
        ],
    )
    @sensitive_variables("data", "serializer", "credentials", "pair")
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        # Counted before the body is judged: a malformed attempt still costs its caller.
        device = device_from_token(data.get("device_token"), data.get("email"))
        login_policy_check(request, data.get("email"), device=device)
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = {key: serializer.validated_data[key] for key in ("email", "password")}
        try:
            pair = token_obtain(request=request, **credentials)
        except LoginConflict:  # not a wrong password: counted as no failure
            raise Conflict(LOGIN_CONFLICT, code="login_conflict") from None
        if pair is None:
            login_policy_failure(request, credentials["email"], device=device)
            raise AuthenticationFailed(
                _("The email or password is incorrect."), code="invalid_credentials"
            )
        return token_pair_response(pair)


class RefreshView(PublicTokenView):
    """Exchange a refresh token for a new pair; the presented one is consumed."""

    throttle_classes = (RefreshAddressThrottle,)

    @extend_schema(
        operation_id="auth_refresh",
        summary=_("Refresh"),
        auth=[],
        description=_(
            "Consumes the refresh token and returns a new access token and refresh token for the "
            "same session. A consumed refresh token presented again after a few seconds ends the "
            "session (it was stolen, or copied). In this page, a refresh also authorizes the page."
        ),
        request=RefreshSerializer,
        responses={
            200: TokenSerializer,
            400: field_errors(_("The body is malformed."), {"refresh_token": [REQUIRED]}),
            401: OpenApiResponse(
                ErrorSerializer,
                description=_("Unknown, consumed or expired refresh token, or an ended session."),
                examples=[
                    OpenApiExample(
                        "Consumed",
                        summary=_("Consumed"),
                        value={
                            "detail": REFRESH_INVALID,
                            "code": "refresh_invalid",
                        },
                    )
                ],
            ),
            429: THROTTLED,
            503: SERVICE_UNAVAILABLE,
        },
        examples=[
            OpenApiExample(
                "Refresh token",
                summary=_("Refresh token"),
                value={"refresh_token": "3f0c…e1.Qm9yZWQ…"},
                request_only=True,
            ),
            TOKEN_PAIR_EXAMPLE,
        ],
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = session_refresh(refresh_token=serializer.validated_data["refresh_token"])
        except RefreshRefused as exc:
            raise AuthenticationFailed(str(exc), code="refresh_invalid") from None
        return token_pair_response(pair)


class LogoutView(AccountView):
    """End the session of the calling token."""

    @extend_schema(
        operation_id="auth_logout",
        summary=_("Log out"),
        description=_(
            "Ends this session: its access and refresh tokens stop working at once. "
            "Other sessions (other devices) go on."
        ),
        request=None,
        responses={204: OpenApiResponse(description=_("Logged out.")), 401: UNAUTHORIZED},
    )
    def post(self, request):
        session_end(session_id=request.auth.session_id, reason=EndReason.LOGOUT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(AccountView):
    """End every session of the calling user."""

    @extend_schema(
        operation_id="auth_logout_all",
        summary=_("Log out everywhere"),
        description=_("Every session of this user ends, this one included."),
        request=None,
        responses={
            204: OpenApiResponse(description=_("Logged out everywhere.")),
            401: UNAUTHORIZED,
        },
    )
    def post(self, request):
        user_sessions_end(user=request.user, reason=EndReason.LOGOUT_ALL)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListView(AccountView):
    """The calling user's live sessions."""

    @extend_schema(
        operation_id="sessions_list",
        summary=_("List my sessions"),
        description=_(
            "Sessions neither ended nor expired, newest first; `current` marks this one."
        ),
        responses={200: SessionSerializer(many=True), 401: UNAUTHORIZED},
        examples=[
            OpenApiExample(
                "This device",
                summary=_("This device"),
                # drf-spectacular shows it as one item of the list.
                value={
                    "id": "3f0c8a4e-1b2d-4c5e-9f60-7a8b9c0d1e2f",
                    "created_at": "2026-11-28T09:00:00Z",
                    "last_used_at": "2026-11-28T10:45:00Z",
                    "expires_at": "2026-12-12T10:45:00Z",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                    "ip_address": "203.0.113.7",
                    "current": True,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        sessions = user_sessions_live(user=request.user, now=timezone.now())
        context = {"current_session_id": request.auth.session_id}
        return Response(SessionSerializer(sessions, many=True, context=context).data)


class SessionDetailView(AccountView):
    """End one of the calling user's sessions."""

    @extend_schema(
        operation_id="sessions_destroy",
        summary=_("End a session"),
        description=_("Ends one of your sessions (e.g. a lost phone's): its tokens stop working."),
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("Its id.")
            )
        ],
        responses={
            204: OpenApiResponse(description=_("The session has ended.")),
            401: UNAUTHORIZED,
            404: NOT_FOUND,
        },
    )
    def delete(self, request, id: str):
        if not _UUID.fullmatch(id):
            raise NotFound()
        session_id = uuid.UUID(id)
        reason = (
            EndReason.LOGOUT if session_id == request.auth.session_id else EndReason.REMOTE_LOGOUT
        )
        live = user_sessions_live(user=request.user, now=timezone.now()).filter(pk=session_id)
        if not sessions_end(sessions=live, reason=reason):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(RateLimitHeadersMixin, AccountView):
    """Change the calling user's password, under the login policy: its current-password check is
    a password door like the login."""

    @extend_schema(
        operation_id="auth_password_change",
        summary=_("Change my password"),
        description=_(
            "Checks the current password and Django's password rules. On success every other "
            "session of this user ends; this one goes on. Rules no schema can state: the "
            "current password must be right and the new one pass the password validators "
            "(400), and attempts are limited (429, see the RateLimit headers)."
        ),
        request=PasswordChangeSerializer,
        responses={
            204: OpenApiResponse(description=_("Password changed; other sessions ended.")),
            400: field_errors(
                _("Wrong current password, or a new password the rules refuse."),
                {"new_password": [_("This password is too common.")]},
            ),
            401: UNAUTHORIZED,
            429: THROTTLED,
            503: SERVICE_UNAVAILABLE,
        },
        examples=[
            OpenApiExample(
                "Change",
                summary=_("Change"),
                value={"current_password": "old passphrase", "new_password": "a new passphrase"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        email = request.user.email
        # The caller proved the password when this session began: the session is its device.
        device = f"session:{request.auth.session_id}"
        login_policy_check(request, email, device=device)
        serializer = PasswordChangeSerializer(data=request.data, context={"user": request.user})
        if not serializer.is_valid():
            if serializer.wrong_current_password():
                login_policy_failure(request, email, device=device)
            raise ValidationError(serializer.errors)
        try:
            user_password_change(
                user=request.user,
                current_password=serializer.validated_data["current_password"],
                new_password=serializer.validated_data["new_password"],
                keep=request.auth.session_id,
            )
        except SessionEnded:
            # Another change (an administrator's reset, say) ended this session meanwhile.
            raise AuthenticationFailed(SESSION_ENDED, code=REVOKED) from None
        except CurrentPasswordChanged:
            raise ValidationError(
                {"current_password": [PasswordChangeSerializer.WRONG_CURRENT_PASSWORD]}
            ) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(AccountView):
    """The user the token belongs to."""

    @extend_schema(
        operation_id="auth_me",
        summary=_("Who am I"),
        description=_("The user the token belongs to: id, email, and whether an admin."),
        responses={200: MeSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)
