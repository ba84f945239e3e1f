from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MoviesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "movies"
    verbose_name = _("Movie catalog")

    def ready(self) -> None:
        # Registered for its side effect: the OpenAPI description of the year field.
        from movies import schema  # noqa: F401
