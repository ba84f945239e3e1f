"""Query-string filters every list shares (django-filter): strict numbers, a stable ordering,
and each parameter given once. ``StrictFilterBackend``, DRF's default filter backend here, builds
every viewset's filter set on ``StrictFilterSet``, so a new resource has these rules by default."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import BaseCSVField
from django_filters.widgets import BaseCSVWidget

from common.integers import parse_ascii_int
from common.query import repeated_parameters


class AsciiIntegerField(forms.IntegerField):
    """A form's whole number, in ASCII digits only (``int()`` also reads "١٢" and " 12 ")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_ascii_int(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class AsciiDecimalField(forms.DecimalField):
    """A form's decimal number, in ASCII characters only (``Decimal("٣")`` is 3)."""

    def to_python(self, value):
        if isinstance(value, str) and not value.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AsciiNumberFilter(filters.NumberFilter):
    """A decimal number in ASCII characters: a bad value is a 400 naming the parameter."""

    field_class = AsciiDecimalField


class AsciiIntegerFilter(filters.NumberFilter):
    """A whole number in ASCII digits: a bad value is a 400 naming the parameter."""

    field_class = AsciiIntegerField


class RepeatableCSVWidget(BaseCSVWidget):
    """A comma list that may also be given as repeated parameters: ``?o=a&o=b`` is ``?o=a,b``."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist") and len(data.getlist(name)) > 1:
            data = {name: ",".join(data.getlist(name))}
        return super().value_from_datadict(data, files, name)


class NonEmptyTermsCSVField(BaseCSVField):
    """A comma list whose every term says something: ``title,`` or ``,`` is a 400."""

    base_widget_class = RepeatableCSVWidget

    def clean(self, value):
        if value and any(not term for term in value):
            raise forms.ValidationError(_("Remove the empty term from the list."), code="empty")
        return super().clean(value)


class StableOrderingFilter(filters.OrderingFilter):
    """django-filter's ordering (unknown fields are a 400), with ties broken by id.

    Empty terms are a 400; a repeated parameter adds its keys after the earlier ones'.
    The tie-breaker runs in the direction of the last key, so an index on (key, id) serves both.
    """

    base_field_class = NonEmptyTermsCSVField

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tie_breaker = "-id" if ordering[-1].startswith("-") else "id"
        return qs.order_by(*ordering, tie_breaker)


class StrictFilterSet(filters.FilterSet):
    """django-filter's ``FilterSet`` whose number filters take ASCII only, and whose parameters
    are each given once (Django would read only the last value of a repeated one, silently):
    ``?year=abc&year=2000`` is a 400. An ordering may come in several parameters."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        **{
            field: {"filter_class": AsciiIntegerFilter}
            for field in (
                models.AutoField,
                models.BigAutoField,
                models.SmallAutoField,
                models.IntegerField,
                models.SmallIntegerField,
                models.BigIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.PositiveBigIntegerField,
            )
        },
        models.DecimalField: {"filter_class": AsciiNumberFilter},
        models.FloatField: {"filter_class": AsciiNumberFilter},
    }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        single = [
            name
            for name, each in self.filters.items()
            if not isinstance(each, filters.OrderingFilter)
        ]
        for name, messages in repeated_parameters(self.data, single).items():
            self.form.add_error(name, messages)
        return valid and not self.form.errors


class StrictFilterBackend(filters.DjangoFilterBackend):
    """DRF's django-filter backend, with ``StrictFilterSet`` under a viewset's
    ``filterset_fields``. A ``filterset_class`` of one's own should extend ``StrictFilterSet``."""

    filterset_base = StrictFilterSet
