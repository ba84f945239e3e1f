from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movies.models import MAX_RATING, MIN_RATING, Movie
from movies.services import movie_create, movie_update
from movies.validators import FIRST_FILM_YEAR, NotTooFarAheadValidator


@extend_schema_field({"type": "integer", "minimum": FIRST_FILM_YEAR})
class YearField(serializers.IntegerField):
    """A release year: from the first film to ``YEARS_AHEAD`` after the current year."""

    def __init__(self, **kwargs):
        super().__init__(min_value=FIRST_FILM_YEAR, **kwargs)
        self.validators.append(NotTooFarAheadValidator())


class MovieSerializer(serializers.ModelSerializer):
    """A movie. Writes go through ``movies.services``, which checks every rule of the model."""

    year = YearField(help_text=Movie._meta.get_field("year").help_text)
    rating = serializers.DecimalField(
        # No digit count: a rating of 100 should hear "at most 10", not a count of digits.
        max_digits=None,
        decimal_places=1,
        min_value=MIN_RATING,
        max_value=MAX_RATING,
        coerce_to_string=False,
        help_text=Movie._meta.get_field("rating").help_text,
    )

    class Meta:
        model = Movie
        fields = (
            "id",
            "title",
            "overview",
            "year",
            "rating",
            "category",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")

    def create(self, validated_data: dict) -> Movie:
        with _model_errors_as_field_errors():
            return movie_create(**validated_data)

    def update(self, instance: Movie, validated_data: dict) -> Movie:
        with _model_errors_as_field_errors():
            return movie_update(movie=instance, **validated_data)


@contextmanager
def _model_errors_as_field_errors():
    """The services' Django ``ValidationError`` as DRF's: a 400 with field → messages."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from None
