"""Query parameters of the movie list. A bad value is a 400 naming the parameter."""

from django import forms
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from common.filters import (
    AsciiIntegerFilter,
    AsciiNumberFilter,
    StableOrderingFilter,
    StrictFilterSet,
)
from common.pagination import StrictPageNumberPagination
from movies.models import MAX_RATING, MIN_RATING, Movie
from movies.search import search_words
from movies.selectors import movie_search, movie_search_ranked

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
# Each search word is one more condition over title and overview: SQLite refuses a query of
# about a thousand ("Expression tree is too large"), and no person types more than a few.
MAX_SEARCH_TERMS = 10
MAX_SEARCH_LENGTH = 200


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 9999})
class YearFilter(AsciiIntegerFilter):
    """A whole year; anything else is a 400 naming the parameter."""

    def __init__(self, **kwargs):
        super().__init__(field_name="year", min_value=0, max_value=9999, **kwargs)


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 10})
class RatingFilter(AsciiNumberFilter):
    def __init__(self, **kwargs):
        super().__init__(field_name="rating", min_value=MIN_RATING, max_value=MAX_RATING, **kwargs)


CATEGORY_MAX_LENGTH = Movie._meta.get_field("category").max_length


@extend_schema_field({"type": "string", "maxLength": CATEGORY_MAX_LENGTH})
class CategoryFilter(filters.CharFilter):
    """A category, at most as long as the column: a longer one is a 400, not an empty page."""

    def __init__(self, **kwargs):
        super().__init__(max_length=CATEGORY_MAX_LENGTH, **kwargs)


@extend_schema_field(ORDERING_SCHEMA)
class MovieOrderingFilter(StableOrderingFilter):
    """The catalog's orderings, one named enum in the schema."""


class SearchTextField(forms.CharField):
    """Search text, bounded: at most ``MAX_SEARCH_LENGTH`` characters and ``MAX_SEARCH_TERMS``
    words (no person types more, and each word is one more condition in the query); Django's
    CharField already refuses NUL, which PostgreSQL cannot take in a query."""

    default_error_messages = {"too_many_terms": _("Use at most %(limit)d search terms.")}

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_SEARCH_LENGTH, **kwargs)

    def validate(self, value) -> None:
        super().validate(value)
        if len(search_words(value)) > MAX_SEARCH_TERMS:
            raise forms.ValidationError(
                self.error_messages["too_many_terms"],
                code="too_many_terms",
                params={"limit": MAX_SEARCH_TERMS},
            )


@extend_schema_field({"type": "string", "maxLength": MAX_SEARCH_LENGTH})
class SearchFilter(filters.CharFilter):
    field_class = SearchTextField


class MovieFilter(StrictFilterSet):
    category = CategoryFilter(method="filter_category", label=_("Category, ignoring case"))
    year = YearFilter(label=_("Release year"))
    year_min = YearFilter(lookup_expr="gte", label=_("Earliest release year, inclusive"))
    year_max = YearFilter(lookup_expr="lte", label=_("Latest release year, inclusive"))
    rating_min = RatingFilter(lookup_expr="gte", label=_("Lowest rating, 0.0 to 10.0, inclusive"))
    # Declared before `ordering`, which replaces the relevance order when it is given.
    search = SearchFilter(
        method="filter_search",
        label=_(
            "Words to find in the title or overview (at most 10), each as a word or the start of "
            "one, ignoring case and accents (PostgreSQL); results by relevance unless ordering is "
            "given. When no movie has the words, the titles most similar to the text (a typo)"
        ),
    )
    ordering = MovieOrderingFilter(
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

    def filter_search(self, queryset, name, value):
        # A search by relevance is done last (filter_queryset), on the other filters' result.
        return queryset if self.ranks_by_relevance else movie_search(queryset=queryset, text=value)

    @property
    def ranks_by_relevance(self) -> bool:
        """A search without ordering, by page number: its most relevant results, in that order.
        Cursors follow the default order (a cursor resumes an order of columns, not a rank)."""
        data = self.form.cleaned_data
        return bool(
            data.get("search")
            and not data.get("ordering")
            and StrictPageNumberPagination.cursor_query_param
            not in getattr(self.request, "query_params", ())
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.ranks_by_relevance:
            return queryset
        return movie_search_ranked(
            queryset=queryset,
            text=self.form.cleaned_data["search"],
            reach=StrictPageNumberPagination.ranked_count_limit,
        )
