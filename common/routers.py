"""Routers shared by every resource."""

from rest_framework.routers import SimpleRouter

from common.integers import MAX_DIGITS

# An id in a path: ASCII digits, as Django's ``<int:…>`` converter takes (``int()`` would also read
# "١٢", "+12" or "1_2" as 12: another string naming the same row, which caches and logs do not
# expect). Anything else is a 404 before the view runs.
ASCII_ID = f"[0-9]{{1,{MAX_DIGITS}}}"


class OptionalSlashRouter(SimpleRouter):
    """Routes that match with or without the trailing slash (DRF only offers one or the other),
    and take ids of ASCII digits unless a viewset sets its own ``lookup_value_regex``."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        value = getattr(viewset, "lookup_value_regex", ASCII_ID)
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{value})"
