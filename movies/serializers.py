from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.serializers import (
    NumbersOnlyMixin,
    StrictModelSerializer,
    model_errors_as_field_errors,
)
from movies.models import HISTORY_FIELDS, MAX_RATING, MIN_RATING, Movie
from movies.services import movie_create, movie_update
from movies.validators import FIRST_FILM_YEAR, NotTooFarAheadValidator

ONE_DECIMAL = Decimal("0.1")


class YearField(NumbersOnlyMixin, serializers.IntegerField):
    """A release year, a JSON integer: from the first film to ``YEARS_AHEAD`` after the current
    year. Its OpenAPI range is movies.schema's."""

    def __init__(self, **kwargs):
        super().__init__(min_value=FIRST_FILM_YEAR, **kwargs)
        self.validators.append(NotTooFarAheadValidator())


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 10})
class RatingField(NumbersOnlyMixin, serializers.DecimalField):
    """A rating between ``min_value`` and ``max_value``, kept with one decimal: more decimals are
    rounded half up (7.25 is 7.3), not refused. No ``multipleOf: 0.1`` in the schema: binary
    floating point makes validators refuse a third of the legal ratings with it (7.3 / 0.1 is
    not a whole number in a double).

    The range is checked before anything else, on the number as sent: rounding needs every
    digit of the number within the decimal context's 28, so 1e27 must never get that far.
    """

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # -0.0 (or -1e-400) is the rating 0.0, as the database keeps it: answered as stored.
        return value.copy_abs() if value.is_zero() else value

    def validate_precision(self, value):
        if value > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        if value < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        return super().validate_precision(value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))


class MovieSerializer(StrictModelSerializer):
    """A movie in the catalog. Writes go through movies.services, which checks every rule of the
    model."""

    year = YearField(help_text=Movie._meta.get_field("year").help_text)
    rating = RatingField(
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
        with model_errors_as_field_errors():
            return movie_create(**validated_data)

    def update(self, instance: Movie, validated_data: dict) -> Movie:
        if not self.partial:
            # PUT replaces the movie: an optional field left out takes its default again.
            validated_data = {**self._omitted_defaults(), **validated_data}
        with model_errors_as_field_errors():
            return movie_update(movie=instance, **validated_data)

    def _omitted_defaults(self) -> dict:
        model_fields = {field.name: field for field in Movie._meta.concrete_fields}
        return {
            name: model_fields[field.source].get_default()
            for name, field in self.fields.items()
            if not field.read_only and not field.required and field.source in model_fields
        }


CHANGES = {"+": "created", "~": "updated", "-": "deleted"}
CHANGE_KINDS = tuple(CHANGES.values())  # the schema's MovieChangeEnum


class MovieVersionSerializer(serializers.Serializer):
    """One recorded version of a movie: who changed it, when, how, and each changed field's
    value before and after (``null`` before a create and after a delete)."""

    version = serializers.IntegerField()
    changed_at = serializers.DateTimeField(source="history_date")
    changed_by = serializers.SerializerMethodField()
    change = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "email", "nullable": True})
    def get_changed_by(self, record) -> str | None:
        return None if record.history_user is None else record.history_user.email

    @extend_schema_field({"type": "string", "enum": list(CHANGE_KINDS)})
    def get_change(self, record) -> str:
        return CHANGES[record.history_type]

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}},
        }
    )
    def get_changes(self, record) -> dict:
        if record.history_type == "+":
            before, after = None, record
        elif record.history_type == "-":
            before, after = record, None
        else:  # the version before: the next one on this page (newest first), else one query
            before = self.context.get("previous", {}).get(record.pk) or record.prev_record
            after = record
        changes = {}
        for name in HISTORY_FIELDS:
            old, new = (None if each is None else getattr(each, name) for each in (before, after))
            if old != new:
                changes[name] = [_plain(old), _plain(new)]
        return changes


def _plain(value):
    """A rating as the API writes it (a JSON number), anything else as it is."""
    return float(value) if isinstance(value, Decimal) else value
