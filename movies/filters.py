"""Query parameters of the movie list. A bad value is a 400 naming the parameter."""

from django import forms
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import BaseCSVField
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter, search_smart_split

from common.integers import parse_ascii_int
from movies.models import MAX_RATING, MIN_RATING, Movie

ORDERING_FIELDS = ("title", "year", "rating", "created_at")
# One named enum (common.openapi moves it to components): generated clients get members named
# TITLE, TITLE_DESC ... (x-enum-varnames) rather than VALUE_0 for the "-" values. Sorted as
# drf-spectacular sorts a parameter's enum, so each name stays next to its value.
ORDERING_VALUES = sorted(value for field in ORDERING_FIELDS for value in (field, f"-{field}"))
ORDERING_SCHEMA = {
    "type": "string",
    "enum": ORDERING_VALUES,
    "x-enum-varnames": [
        f"{value[1:]}_desc" if value.startswith("-") else value for value in ORDERING_VALUES
    ],
    "x-component-name": "MovieOrdering",
}
# Each search term is one more OR of LIKEs over title and overview: SQLite refuses a query of
# about a thousand ("Expression tree is too large"), and no person types more than a few.
MAX_SEARCH_TERMS = 10
MAX_SEARCH_LENGTH = 200


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


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 9999})
class YearFilter(filters.NumberFilter):
    """A whole year; anything else is a 400 naming the parameter."""

    field_class = AsciiIntegerField

    def __init__(self, **kwargs):
        super().__init__(field_name="year", min_value=0, max_value=9999, **kwargs)


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 10})
class RatingFilter(filters.NumberFilter):
    field_class = AsciiDecimalField

    def __init__(self, **kwargs):
        super().__init__(field_name="rating", min_value=MIN_RATING, max_value=MAX_RATING, **kwargs)


CATEGORY_MAX_LENGTH = Movie._meta.get_field("category").max_length


@extend_schema_field({"type": "string", "maxLength": CATEGORY_MAX_LENGTH})
class CategoryFilter(filters.CharFilter):
    """A category, at most as long as the column: a longer one is a 400, not an empty page."""

    def __init__(self, **kwargs):
        super().__init__(max_length=CATEGORY_MAX_LENGTH, **kwargs)


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


@extend_schema_field(ORDERING_SCHEMA)
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


class BoundedSearchFilter(SearchFilter):
    """DRF's search over the view's ``search_fields``, with a bounded number of terms.

    Too many or too long terms, or a NUL character (PostgreSQL refuses it in a query), are a 400
    naming ``search``, never a database error.
    """

    def get_search_terms(self, request) -> list[str]:
        value = request.query_params.get(self.search_param, "")
        if len(value) > MAX_SEARCH_LENGTH:
            self._fail(
                _("Ensure this value has at most %(limit)d characters.")
                % {"limit": MAX_SEARCH_LENGTH}
            )
        if "\x00" in value:
            self._fail(_("Null characters are not allowed."))
        terms = search_smart_split(value)
        if len(terms) > MAX_SEARCH_TERMS:
            self._fail(_("Use at most %(limit)d search terms.") % {"limit": MAX_SEARCH_TERMS})
        return terms

    def _fail(self, message: str):
        raise ValidationError({self.search_param: [message]})

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = (
                f"Words to find in the title or overview (at most {MAX_SEARCH_TERMS})."
            )
            parameter["schema"]["maxLength"] = MAX_SEARCH_LENGTH
        return parameters


class MovieFilter(filters.FilterSet):
    category = CategoryFilter(method="filter_category", label=_("Category, ignoring case"))
    year = YearFilter(label=_("Release year"))
    year_min = YearFilter(lookup_expr="gte", label=_("Earliest release year, inclusive"))
    year_max = YearFilter(lookup_expr="lte", label=_("Latest release year, inclusive"))
    rating_min = RatingFilter(lookup_expr="gte", label=_("Lowest rating, 0.0 to 10.0, inclusive"))
    ordering = StableOrderingFilter(
        fields=ORDERING_FIELDS,
        label=_(
            "Order by title, year, rating or created_at; prefix - for descending; "
            "several keys comma-separated (or the parameter repeated)"
        ),
    )

    class Meta:
        model = Movie
        fields = ()

    def filter_category(self, queryset, name, value):
        # The database's lower() on both sides, as in the generated category_key column.
        return queryset.filter(category_key=Lower(Value(value)))
