"""Query parameters of the movie list. A bad value is a 400 naming the parameter."""

from django import forms
from django.db.models import Value
from django.db.models.functions import Lower
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from movies.models import MAX_RATING, MIN_RATING, Movie
from movies.selectors import movie_search

ORDERING_FIELDS = ("title", "year", "rating", "created_at")


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 9999})
class YearFilter(filters.NumberFilter):
    """A whole year; anything else is a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(field_name="year", min_value=0, max_value=9999, **kwargs)


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 10})
class RatingFilter(filters.NumberFilter):
    def __init__(self, **kwargs):
        super().__init__(field_name="rating", min_value=MIN_RATING, max_value=MAX_RATING, **kwargs)


class StableOrderingFilter(filters.OrderingFilter):
    """django-filter's ordering (unknown fields are a 400), with ties broken by id.

    The tie-breaker runs in the direction of the last key, so an index on (key, id) serves both.
    """

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tie_breaker = "-id" if ordering[-1].startswith("-") else "id"
        return qs.order_by(*ordering, tie_breaker)


class MovieFilter(filters.FilterSet):
    category = filters.CharFilter(
        method="filter_category", max_length=50, label="Category, ignoring case"
    )
    year = YearFilter(label="Release year")
    year_min = YearFilter(lookup_expr="gte", label="Earliest release year")
    year_max = YearFilter(lookup_expr="lte", label="Latest release year")
    rating_min = RatingFilter(lookup_expr="gte", label="Lowest rating, 0.0 to 10.0")
    # Declared before `ordering`, which replaces the relevance order when it is given.
    search = filters.CharFilter(
        method="filter_search",
        label=(
            "Words to find in the title or overview, each as a word or the start of one, "
            "ignoring case and accents (PostgreSQL); results by relevance unless ordering is given"
        ),
    )
    ordering = StableOrderingFilter(
        fields=ORDERING_FIELDS,
        label="Order by title, year, rating or created_at; prefix - for descending",
    )

    class Meta:
        model = Movie
        fields = ()

    def filter_category(self, queryset, name, value):
        # The database's lower() on both sides, as in the generated category_key column.
        return queryset.filter(category_key=Lower(Value(value)))

    def filter_search(self, queryset, name, value):
        return movie_search(queryset=queryset, text=value)
