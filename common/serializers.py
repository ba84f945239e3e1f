"""Serializer fields every resource shares."""

from rest_framework import serializers


class StringsOnlyMixin:
    """Take a JSON string only: DRF's text fields also turn ``0`` into ``"0"``, while the schema
    (and the client) say the field is a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StringsOnlyMixin, serializers.CharField):
    pass


class StrictEmailField(StringsOnlyMixin, serializers.EmailField):
    pass
