from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.managers import UserManager, normalize_email_address

# Changing any of these makes every token issued before the change fail at once.
CREDENTIAL_FIELDS = ("password", "email", "is_staff", "is_active")


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

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._remember_credentials()
        return user

    def _remember_credentials(self) -> None:
        # Only fields actually loaded: reading a deferred one here would query the database.
        self._saved_credentials = {
            name: self.__dict__[name] for name in CREDENTIAL_FIELDS if name in self.__dict__
        }

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email_address(self.email)
        if self._state.adding:
            super().save(*args, **kwargs)
            self._remember_credentials()
            return
        saved = getattr(self, "_saved_credentials", None)
        changed = saved is not None and any(
            getattr(self, name) != value for name, value in saved.items()
        )
        # token_version is only ever changed by revoke_tokens(): a stale copy of this row saved
        # later must not write an old version back and so revive tokens revoked meanwhile.
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "token_version"
            ]
        kwargs["update_fields"] = [name for name in update_fields if name != "token_version"]
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if changed:
                self.revoke_tokens()
        self._remember_credentials()

    def revoke_tokens(self) -> None:
        """Make every token issued to this user so far fail verification."""
        type(self)._default_manager.filter(pk=self.pk).update(token_version=F("token_version") + 1)
        self.refresh_from_db(fields=["token_version"])
