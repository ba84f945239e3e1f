"""OpenAPI descriptions that depend on the day the schema is generated, for drf-spectacular."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from movies.validators import FIRST_FILM_YEAR, latest_allowed_year


class YearFieldSchema(OpenApiSerializerFieldExtension):
    """A release year's range, its upper end moving with the calendar (not fixed at import)."""

    target_class = "movies.serializers.YearField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "integer", "minimum": FIRST_FILM_YEAR, "maximum": latest_allowed_year()}
