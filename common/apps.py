from django.apps import AppConfig


class CommonConfig(AppConfig):
    """What every resource shares: routing, pagination, OpenAPI pieces, error and health views."""

    name = "common"
    verbose_name = "Common API plumbing"

    def ready(self) -> None:
        # drf-spectacular finds schema extensions by their import.
        from common import openapi  # noqa: F401
