from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.managers import UserManager, normalize_email_address

# A change to any of these, however it is written, ends every session of the user: a database
# trigger does it (migration 0003, docs/explanation/sessions-and-revocation.md), so ORM,
# QuerySet.update() and SQL alike.
CREDENTIAL_FIELDS = ("password", "email", "is_staff", "is_active")
USER_AGENT_LENGTH = 255


class NormalizedEmailField(models.EmailField):
    """An email address stored trimmed and lower-cased however it is written (``save()``,
    ``QuerySet.update()``) and looked up the same way: uniqueness and login ignore case."""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = normalize_email_address(value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalize_email_address(value) if isinstance(value, str) else value


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address. Admins are active users with ``is_staff``."""

    email = NormalizedEmailField(_("email address"), max_length=254, unique=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Admins may use the API and log into this admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message=_("A user with this email address already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)


class EndReason(models.TextChoices):
    LOGOUT = "logout", _("logged out")
    LOGOUT_ALL = "logout_all", _("logged out everywhere")
    REMOTE_LOGOUT = "remote_logout", _("ended from another session")
    PASSWORD_CHANGE = "password_change", _("password changed from another session")
    CREDENTIALS_CHANGED = "credentials_changed", _("password, email or permissions changed")
    REFRESH_REUSE = "refresh_reuse", _("a consumed refresh token was presented again")
    ADMIN = "admin", _("ended by an administrator")


class LoginSessionQuerySet(models.QuerySet):
    def live(self, *, now: datetime) -> LoginSessionQuerySet:
        """Sessions not ended and not expired, at ``now``."""
        return self.filter(ended_at__isnull=True, idle_expires_at__gt=now, expires_at__gt=now)


class LoginSession(models.Model):
    """One login of one user on one device: what its access and refresh tokens belong to.

    Its id is the ``sid`` claim of every access token it issues. The refresh token is kept only
    as a SHA-256 digest, with the one it replaced for the reuse grace window.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="login_sessions",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(
        _("last used"), default=timezone.now, help_text=_("The last login or refresh.")
    )
    idle_expires_at = models.DateTimeField(
        _("idle expiry"), help_text=_("Ends unless refreshed before this time.")
    )
    expires_at = models.DateTimeField(
        _("absolute expiry"), help_text=_("Ends at this time whatever happens.")
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=32, choices=EndReason.choices, blank=True
    )
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_LENGTH, blank=True)
    ip_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    refresh_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    previous_refresh_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LoginSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M} · {self.id}"

    def is_live(self, *, now: datetime) -> bool:
        return self.ended_at is None and now < self.idle_expires_at and now < self.expires_at

    def ends_at(self) -> datetime:
        """When the session ends unless refreshed first: the earlier of the two expiries."""
        return min(self.idle_expires_at, self.expires_at)


class ConsumedRefreshToken(models.Model):
    """A refresh token of a session that was valid and has been exchanged: presented again, it
    is reuse (a stolen or copied token), which ends its session. A secret that never was valid
    changes nothing: knowing a session's id (every access token carries it) is not enough."""

    session = models.ForeignKey(LoginSession, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    consumed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.session_id} · {self.consumed_at:%Y-%m-%d %H:%M}"


class CredentialChangeExemption(models.Model):
    """While a transaction holds a row here, the credential trigger spares what it names.

    The trigger that ends a user's sessions when their credentials change cannot tell a password
    change that keeps the caller's session (``POST /api/auth/password/``), or a re-hash of the
    same password at login, from any other change. The service that makes such a write inserts a
    row first and deletes it before committing, so no other transaction ever sees it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    keep_session_id = models.UUIDField(null=True)
    rehash = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.user_id}: keep {self.keep_session_id}, re-hash {self.rehash}"
