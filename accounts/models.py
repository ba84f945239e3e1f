from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import PermissionsMixin
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.managers import UserManager, normalize_email_address

# Saving a change to any of these ends every session of the user (User.save below).
CREDENTIAL_FIELDS = ("password", "email", "is_staff", "is_active")
USER_AGENT_LENGTH = 255


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address. Admins are active users with ``is_staff``."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Admins may use the API and log into this admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    token_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("Tokens carrying an older version are refused."),
    )

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

    def check_password(self, raw_password: str) -> bool:
        """Django's check, except that a hash upgrade is written without a ``save()``.

        When the hasher's parameters change (Django raises PBKDF2's iterations in most releases)
        or the hash was made by a hasher listed after the first one, Django re-hashes the
        password on a successful check. That is the same password, so it must not count as a
        credential change that ends the user's sessions; it goes to the row directly.
        """

        def upgrade(raw: str) -> None:
            self.password = make_password(raw)
            type(self)._default_manager.filter(pk=self.pk).update(password=self.password)

        return check_password(raw_password, self.password, upgrade)

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)

    def save(self, **kwargs) -> None:
        """Save; a saved change of password, email, ``is_staff`` or ``is_active`` ends every
        session of the user, however the object was loaded (README, "Sessions").

        The comparison is with the database row, locked for the transaction, not with what was
        loaded: a deferred field, an admin form, a shell session, a stale copy and a new object
        given the id of an existing user all count. The project has one database
        (``DATABASE_URL``), so the lock is taken there; arguments are keywords only, as Django
        asks since 5.1.
        """
        self.email = normalize_email_address(self.email)
        if kwargs.get("update_fields") is not None:
            # Read twice (by Django and below): an iterator would be empty the second time.
            kwargs["update_fields"] = list(kwargs["update_fields"])
        with transaction.atomic():
            stored = None if self.pk is None else self.stored_credentials()
            if stored is not None:
                # Only the sessions service moves token_version: a stale copy writes back the
                # current value instead of an old one.
                self.token_version = stored["token_version"]
            super().save(**kwargs)
            if stored is not None and self._written_credentials_differ(stored, kwargs):
                # Imported here: the service module imports this one.
                from accounts.services import user_sessions_end

                user_sessions_end(user=self, reason=EndReason.CREDENTIALS_CHANGED)

    def stored_credentials(self) -> dict | None:
        """The row's ``CREDENTIAL_FIELDS`` and ``token_version``, locked until the transaction
        ends (call it in one), or ``None`` when there is no row with this id."""
        return (
            type(self)
            ._default_manager.select_for_update()
            .filter(pk=self.pk)
            .values(*CREDENTIAL_FIELDS, "token_version")
            .first()
        )

    def _written_credentials_differ(self, stored: dict, save_kwargs: dict) -> bool:
        update_fields = save_kwargs.get("update_fields")
        # Without update_fields Django writes every loaded field, and only those.
        written = set(update_fields) if update_fields is not None else set(self.__dict__)
        return any(
            name in written and getattr(self, name) != stored[name] for name in CREDENTIAL_FIELDS
        )


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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
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
