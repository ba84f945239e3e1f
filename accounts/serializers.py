from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import LoginSession, User
from accounts.services import user_password_check
from common.serializers import KnownFieldsOnlyMixin, StrictCharField, StrictEmailField

# Bounded so a huge body costs no hashing; far above any real password.
MAX_PASSWORD_LENGTH = 1024


# Far above the ~70 characters of a device token.
DEVICE_TOKEN_LENGTH = 256

# The code of a current password that was checked and is wrong.
CHECKED_AND_WRONG = "wrong"


class LoginSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False)
    device_token = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=DEVICE_TOKEN_LENGTH,
        help_text=_(
            "The device_token of an earlier login or refresh on this device, if any: a login "
            "with it is not refused for other devices' wrong passwords."
        ),
    )


class RefreshSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    refresh_token = StrictCharField(
        max_length=1024, help_text=_("The refresh_token of the last login or refresh.")
    )


class TokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text=_("A signed JWT for the Authorization header."))
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text=_("Seconds until the access token expires."))
    refresh_token = serializers.CharField(
        help_text=_("Single use: exchange it at POST /api/auth/refresh/ for a new pair.")
    )
    refresh_expires_in = serializers.IntegerField(
        help_text=_("Seconds until the session ends unless refreshed before.")
    )
    device_token = serializers.CharField(
        help_text=_(
            "Keep it on this device and send it with the next login: strangers' wrong "
            "passwords then never lock this device out. Valid for 30 days."
        )
    )


class SessionSerializer(serializers.ModelSerializer):
    expires_at = serializers.DateTimeField(
        source="ends_at", help_text=_("When the session ends unless refreshed before.")
    )
    current = serializers.SerializerMethodField(
        help_text=_("Whether this is the session of the token making the request.")
    )

    class Meta:
        model = LoginSession
        fields = (
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "user_agent",
            "ip_address",
            "current",
        )
        read_only_fields = fields

    def get_current(self, session: LoginSession) -> bool:
        return session.pk == self.context["current_session_id"]


class PasswordChangeSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """Checks the current password and runs Django's password validators on the new one."""

    WRONG_CURRENT_PASSWORD = _("The current password is incorrect.")

    current_password = StrictCharField(max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False)
    new_password = StrictCharField(max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False)

    def validate_current_password(self, value: str) -> str:
        if not user_password_check(user=self.context["user"], raw_password=value):
            raise serializers.ValidationError(self.WRONG_CURRENT_PASSWORD, code=CHECKED_AND_WRONG)
        return value

    def validate_new_password(self, value: str) -> str:
        password_validation.validate_password(value, self.context["user"])
        return value

    def wrong_current_password(self) -> bool:
        """Whether the current password was checked and is wrong (a failure of the login policy);
        a missing or malformed one is only a malformed body."""
        errors = self.errors.get("current_password", [])
        return any(getattr(error, "code", None) == CHECKED_AND_WRONG for error in errors)


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "is_staff")
        read_only_fields = fields
