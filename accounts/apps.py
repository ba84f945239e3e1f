from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Registered for their side effects: system checks and the OpenAPI security scheme.
        from accounts import checks, schema  # noqa: F401
