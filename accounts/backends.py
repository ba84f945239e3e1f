"""The authentication backend of every password door (the API login, the admin's login)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.services import user_password_check


class EmailBackend(ModelBackend):
    """Django's ``ModelBackend``, except that a successful check that re-hashes an outdated hash
    (another hasher, or other parameters) writes it as a re-hash: the user's sessions go on, as
    they would not after a change of password (docs/explanation/sessions-and-revocation.md)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        email = kwargs.get(user_model.USERNAME_FIELD, username)
        if email is None or password is None:
            return None
        try:
            user = user_model._default_manager.get_by_natural_key(email)
        except user_model.DoesNotExist:
            # Hash anyway: an unknown email costs the caller as long as a wrong password.
            user_model().set_password(password)
            return None
        if user_password_check(user=user, raw_password=password) and self.user_can_authenticate(
            user
        ):
            return user
        return None
