from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled

from accounts.login_policy import login_policy_check, login_policy_record
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


class PolicyAdminAuthenticationForm(AdminAuthenticationForm):
    """Django admin's login form, under the login policy of the API login (same counters).

    A refused attempt is a form error, and ``throttled_wait`` holds the seconds to wait, which
    ``PolicyAdminSite.login`` turns into a 429 with ``Retry-After``.
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("Too many login attempts. Try again in %(wait)s seconds."),
    }
    throttled_wait: int | None = None

    def clean(self):
        email = self.cleaned_data.get("username")
        try:
            login_policy_check(self.request, email)
        except Throttled as refused:
            self.throttled_wait = refused.wait
            raise ValidationError(
                self.error_messages["throttled"], code="throttled", params={"wait": refused.wait}
            ) from None
        if not (email and self.cleaned_data.get("password")):
            return super().clean()  # a field is missing: no password was checked
        try:
            cleaned = super().clean()
        except ValidationError:
            # Wrong password, or right password of an inactive or non-staff user: a failure here.
            login_policy_record(self.request, email, success=False)
            raise
        login_policy_record(self.request, email, success=True)
        return cleaned
