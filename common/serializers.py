"""Serializer fields every resource shares."""

from rest_framework import serializers


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
    pass


class StrictEmailField(StringsOnlyMixin, serializers.EmailField):
    pass
