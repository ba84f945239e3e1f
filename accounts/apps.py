from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Registered for their side effects: system checks and the OpenAPI security scheme.
        from accounts import checks, schema  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """Django admin (listed in INSTALLED_APPS in its place), whose default site logs in under
    the API's login policy: see accounts/admin_site.py."""

    default = False  # "accounts" alone still means AccountsConfig
    default_site = "accounts.admin_site.PolicyAdminSite"
