"""The project's Django admin site: Django's own, with its login form under the login policy."""

from django.contrib import admin

from accounts.forms import PolicyAdminAuthenticationForm


class PolicyAdminSite(admin.AdminSite):
    """Django's admin site whose login answers 429 + ``Retry-After`` when the policy refuses.

    Installed as the default site by ``accounts.apps.AdminConfig``, so ``admin.site`` and every
    ``@admin.register`` use it.
    """

    login_form = PolicyAdminAuthenticationForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        wait = getattr(form, "throttled_wait", None)
        if wait is not None:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response
