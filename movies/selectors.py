"""Reads of the movies app."""

from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Length, Lower

from movies.models import Movie
from movies.search import (
    AnyOf,
    RankDistance,
    search_index,
    search_query,
    search_words,
    title_has_the_words,
)


def movie_title_year_taken(*, title: str, year: int, exclude_pk: int | None = None) -> bool:
    """Whether another movie has this title (ignoring case, as the database does) and year."""
    movies = Movie.objects.alias(title_lower=Lower("title")).filter(
        title_lower=Lower(Value(title)), year=year
    )
    if exclude_pk is not None:
        movies = movies.exclude(pk=exclude_pk)
    return movies.exists()


def movie_search(*, queryset: QuerySet, text: str) -> QuerySet:
    """``queryset`` narrowed to the movies with every word of ``text``, in ``queryset``'s order.

    A text without words leaves ``queryset`` as it is.
    """
    words = search_words(text)
    if not words:
        return queryset
    if connections[queryset.db].vendor != "postgresql":
        for word in words:
            queryset = queryset.filter(Q(title__icontains=word) | Q(overview__icontains=word))
        return queryset
    return queryset.filter(search_document=search_query(words))


def movie_search_ranked(*, queryset: QuerySet, text: str, reach: int) -> QuerySet:
    """The movies of ``queryset`` that best match ``text``, most relevant first: at most
    ``reach`` + 1 (one more than a page number reaches, so that the count knows there are more).

    On PostgreSQL, relevance is:

    1. a title that is the text's words, ignoring case, accents and punctuation;
    2. ``ts_rank``: title words (A) over overview words (B), more occurrences over fewer;
    3. the shorter title ("Alien" before "Alien Resurrection");
    4. the id.

    The candidates are the ``reach`` + 1 best by rank (read in rank order from the RUM index, or
    ranked one by one on the GIN path) and the equal titles. When no movie has the words, they
    are instead the movies whose title is most similar to the text (a typo: "shawshenk"),
    by pg_trgm word similarity (at least 0.6), then id. On SQLite this is ``movie_search``.
    """
    words = search_words(text)
    if not words or connections[queryset.db].vendor != "postgresql":
        return movie_search(queryset=queryset, text=text)
    query = search_query(words)
    phrase = " ".join(words)
    ranked = queryset.alias(
        equal_title=title_has_the_words(phrase), rank=SearchRank(F("search_document"), query)
    )
    matches = ranked.filter(search_document=query)
    relevance = ("-equal_title", "-rank", Length("title"), "id")
    if search_index(queryset.db) == "rum":
        best = matches.order_by(RankDistance(F("search_document"), query))
    else:
        best = matches.order_by(*relevance[1:])
    # One query: the best by rank, and the equal titles (an index of titles' words).
    candidates = list(
        best.values_list("pk", flat=True)[: reach + 1].union(
            matches.filter(equal_title=True).values_list("pk", flat=True)[:reach]
        )
    )
    if candidates:
        return ranked.filter(AnyOf("pk", candidates)).order_by(*relevance)
    similar = queryset.filter(title__trigram_word_similar=phrase).alias(
        similarity=TrigramWordSimilarity(phrase, "title")
    )
    candidates = similar.order_by("-similarity", "id").values_list("pk", flat=True)[: reach + 1]
    return similar.filter(AnyOf("pk", list(candidates))).order_by("-similarity", "id")


def movie_versions(*, movie_id: int) -> QuerySet:
    """The recorded versions of a movie, deleted or not, newest first (``Movie.history``)."""
    return (
        Movie.history.filter(id=movie_id)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
