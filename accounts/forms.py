from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled

from accounts.login_policy import device_from_token, login_policy_check, login_policy_failure
from accounts.models import User


class UserCreationAdminForm(AdminUserCreationForm):
    """Django's admin "add user" form, with the email address in place of a username."""

    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    """Django's admin "change user" form for the email-identified user."""

    class Meta:
        model = User
        fields = "__all__"


THROTTLED = _("Too many login attempts. Try again in %(wait)s seconds.")
# The admin's device token (see accounts/login_policy.py), set by ``PolicyAdminSite`` on login.
DEVICE_COOKIE = "admin_device"


class _LoginPolicyFormMixin:
    """Checks a form's password under the login policy, the browser's device token (its
    ``DEVICE_COOKIE``) naming its device; a refusal is a form error, and ``throttled_wait`` holds
    the seconds to wait (``PolicyAdminSite`` answers 429 with them)."""

    throttled_wait: int | None = None

    def _device(self, email) -> str | None:
        return device_from_token(self.request.COOKIES.get(DEVICE_COOKIE), email)

    def _policy_check(self, email) -> None:
        try:
            login_policy_check(self.request, email, device=self._device(email))
        except Throttled as refused:
            self.throttled_wait = refused.wait
            raise ValidationError(
                THROTTLED, code="throttled", params={"wait": refused.wait}
            ) from None


class PolicyAdminAuthenticationForm(_LoginPolicyFormMixin, AdminAuthenticationForm):
    """Django admin's login form, under the login policy of the API login (same counters)."""

    def clean(self):
        email = self.cleaned_data.get("username")
        self._policy_check(email)
        if not (email and self.cleaned_data.get("password")):
            return super().clean()  # a field is missing: no password was checked
        try:
            return super().clean()
        except ValidationError:
            # A user is found only for a right password (then refused as not staff): no failure.
            if self.get_user() is None:
                login_policy_failure(self.request, email, device=self._device(email))
            raise


class PolicyPasswordChangeForm(_LoginPolicyFormMixin, AdminPasswordChangeForm):
    """Django admin's "change my password" form: the old password is checked under the login
    policy too, so a borrowed admin session cannot be used to guess it."""

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        email = self.user.email
        self._policy_check(email)
        try:
            return super().clean_old_password()
        except ValidationError:
            login_policy_failure(self.request, email, device=self._device(email))
            raise
