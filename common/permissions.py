"""Who may use an endpoint."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAdminUser


class IsAdmin(IsAdminUser):
    """DRF's ``IsAdminUser`` (an active user with ``is_staff``), refusing with the code
    ``not_admin``: a valid token whose user is not an admin (403), which no new token fixes."""

    code = "not_admin"
    message = _("Only administrators may do this.")
