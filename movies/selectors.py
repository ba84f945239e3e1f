"""Reads of the movies app."""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower

from movies.models import Movie
from movies.search import SEARCH_CONFIG, search_words


def movie_title_year_taken(*, title: str, year: int, exclude_pk: int | None = None) -> bool:
    """Whether another movie has this title (ignoring case, as the database does) and year."""
    movies = Movie.objects.alias(title_lower=Lower("title")).filter(
        title_lower=Lower(Value(title)), year=year
    )
    if exclude_pk is not None:
        movies = movies.exclude(pk=exclude_pk)
    return movies.exists()


def movie_search(*, queryset: QuerySet, text: str) -> QuerySet:
    """``queryset`` narrowed to the movies matching every word of ``text``.

    On PostgreSQL the result is ordered by relevance (rank, then id); an explicit ordering applied
    afterwards replaces that order. A text without words leaves ``queryset`` as it is.
    """
    words = search_words(text)
    if not words:
        return queryset
    if connections[queryset.db].vendor != "postgresql":
        for word in words:
            queryset = queryset.filter(Q(title__icontains=word) | Q(overview__icontains=word))
        return queryset
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), config=SEARCH_CONFIG, search_type="raw"
    )
    return (
        queryset.filter(search_document=query)
        .alias(search_rank=SearchRank(F("search_document"), query))
        .order_by("-search_rank", "id")
    )


def movie_versions(*, movie_id: int) -> QuerySet:
    """The recorded versions of a movie, deleted or not, newest first (``Movie.history``)."""
    return (
        Movie.history.filter(id=movie_id)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
