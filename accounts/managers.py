from django.contrib.auth.base_user import BaseUserManager


def normalize_email_address(email: str) -> str:
    """The stored form of an email address: trimmed and lower-cased, so uniqueness ignores case."""
    return email.strip().lower()


class UserManager(BaseUserManager):
    """Creates users identified by email; there is no username."""

    use_in_migrations = True

    def get_by_natural_key(self, email: str):
        return self.get(email=normalize_email_address(email))

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email_address(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)
