from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

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
