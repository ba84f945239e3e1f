from django.apps import AppConfig


class MoviesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "movies"
    verbose_name = "Movie catalog"

    def ready(self) -> None:
        # Registered for its side effect: the OpenAPI description of the year field.
        from movies import schema  # noqa: F401
