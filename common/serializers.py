"""Serializer fields and rules every resource shares: ``StrictModelSerializer`` applies them all."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

UNKNOWN_FIELD = _("Unknown field.")

# What a text is trimmed of, and what alone makes it blank: white space as Python's str.strip()
# reads it and as JSON Schema's regular expressions (ECMA-262's \s) read it, both. The schema's
# patterns list these characters one by one (common.openapi), so that every validator, in
# whatever regular expression dialect, agrees with the server on what is blank.
BLANK_CHARACTERS = "".join(
    sorted(
        {chr(code) for code in range(0x3001) if chr(code).isspace()}  # none is above U+3000
        | {"\ufeff"}  # ECMA-262 white space, not Python's
    )
)


class KnownFieldsOnlyMixin:
    """Refuse a body field the serializer does not declare: a misspelt ``"titel"`` is a 400
    naming it, not a movie created without its title's change. Read-only fields are declared,
    so a body read with GET can be sent back as it is (they are ignored). The schema says the
    same (``common.openapi.forbid_unknown_request_fields``)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)


class StringsOnlyMixin:
    """Take a JSON string only: DRF's text fields also turn ``0`` into ``"0"``, while the schema
    (and the client) say the field is a string. Its length limit is the schema's, blanks
    included."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # The schema's maxLength counts the string as sent; DRF would count it after trimming.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class NumbersOnlyMixin:
    """Take a JSON number only: DRF's number fields also read ``"2001"`` (and Python's int() and
    Decimal() read other scripts' digits), while the schema says the field is a number. A JSON
    ``true`` is no number either, though Python counts it as one."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StringsOnlyMixin, serializers.CharField):
    """A JSON string; trimmed (unless ``trim_whitespace=False``) of ``BLANK_CHARACTERS``, and
    blank if nothing else is left."""

    def run_validation(self, data=serializers.empty):
        if self.trim_whitespace and isinstance(data, str) and not data.strip(BLANK_CHARACTERS):
            data = ""  # blank: DRF's own "may not be blank" (or "" where blank is allowed)
        return super().run_validation(data)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return value.strip(BLANK_CHARACTERS) if self.trim_whitespace else value


class StrictEmailField(StringsOnlyMixin, serializers.EmailField):
    pass


class StrictIntegerField(NumbersOnlyMixin, serializers.IntegerField):
    pass


class StrictDecimalField(NumbersOnlyMixin, serializers.DecimalField):
    pass


class StrictFloatField(NumbersOnlyMixin, serializers.FloatField):
    pass


class StrictModelSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """DRF's ``ModelSerializer`` with every rule a resource should have: unknown fields refused,
    text fields that take JSON strings only (trimmed, blank as every validator reads it), number
    fields that take JSON numbers only."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.PositiveBigIntegerField: StrictIntegerField,
        models.DecimalField: StrictDecimalField,
        models.FloatField: StrictFloatField,
    }


@contextmanager
def model_errors_as_field_errors() -> Iterator[None]:
    """A service's Django ``ValidationError`` as DRF's: a 400 with field → messages."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from None
