"""OpenAPI descriptions that depend on the day the schema is generated, for drf-spectacular."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from movies.validators import FIRST_FILM_YEAR, latest_allowed_year


class YearFieldSchema(OpenApiSerializerFieldExtension):
    """A release year's range, its upper end moving with the calendar (not fixed at import).

    The upper end is declared on requests only: a client generated this year checks what it
    sends against this year's limit (stricter, later, than the server: the safe side), while
    the movies the server answers with, years from now, still fit the schema it was given."""

    target_class = "movies.serializers.YearField"

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "integer", "minimum": FIRST_FILM_YEAR}
        if direction == "request":
            schema["maximum"] = latest_allowed_year()
        return schema
