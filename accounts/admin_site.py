"""The project's Django admin site: Django's own, with its password doors under the login
policy (accounts/login_policy.py), like the API login."""

import functools

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse

from accounts.forms import DEVICE_COOKIE, PolicyAdminAuthenticationForm, PolicyPasswordChangeForm
from accounts.login_policy import DEVICE_TOKEN_SECONDS, device_token_issue


def _throttled_status(response):
    """429 + ``Retry-After`` for a form page whose form the login policy refused."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    wait = getattr(form, "throttled_wait", None)
    if wait is not None:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response


class PolicyAdminSite(admin.AdminSite):
    """Django's admin site whose login and "change my password" pages check passwords under
    the login policy, answering 429 + ``Retry-After`` when it refuses; a successful login sets
    the browser's device-token cookie.

    Installed as the default site by ``accounts.apps.AdminConfig``, so ``admin.site`` and every
    ``@admin.register`` use it.
    """

    login_form = PolicyAdminAuthenticationForm
    # "View site" leads to the landing page, which leads to the API docs.
    site_url = "/"

    def login(self, request, extra_context=None):
        response = _throttled_status(super().login(request, extra_context))
        # A login form accepted (Django logs the user in and redirects): this browser is now
        # a trusted device of the account.
        if request.method == "POST" and response.status_code == 302 and request.user.is_staff:
            response.set_cookie(
                DEVICE_COOKIE,
                device_token_issue(request.user.email),
                max_age=DEVICE_TOKEN_SECONDS,
                path=reverse("admin:index", current_app=self.name),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def password_change(self, request, extra_context=None):
        # Django's own, with a form that knows the request (the policy counts per address).
        view = PasswordChangeView.as_view(
            form_class=functools.partial(PolicyPasswordChangeForm, request=request),
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            template_name=self.password_change_template or PasswordChangeView.template_name,
        )
        request.current_app = self.name
        return _throttled_status(view(request))
