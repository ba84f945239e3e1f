"""Routers shared by every resource."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that match with or without the trailing slash (DRF only offers one or the other)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
