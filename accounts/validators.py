"""Password rules of the project, on every password door (the API, the admin, createsuperuser),
beside Django's own in ``AUTH_PASSWORD_VALIDATORS``."""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class NotBlankPasswordValidator:
    """A password of white space only (twelve spaces pass a length rule) is no password."""

    message = _("The password cannot be only spaces or other blank characters.")

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(self.message, code="password_blank")

    def get_help_text(self) -> str:
        return str(self.message)


class NotCurrentPasswordValidator:
    """A new password must differ from the current one: a "change" to the same password would
    end every other session and change nothing else."""

    message = _("The new password must differ from the current one.")

    def validate(self, password: str, user=None) -> None:
        # The hash alone, with no setter: checking must not re-hash or save anything.
        current = getattr(user, "password", "")
        if current and check_password(password, current):
            raise ValidationError(self.message, code="password_unchanged")

    def get_help_text(self) -> str:
        return str(self.message)
