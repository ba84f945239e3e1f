"""Reads of the movies app."""

from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Length, Lower

from common.pagination import RankedRows
from movies.models import Movie
from movies.search import (
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


def movie_search_ranked(*, queryset: QuerySet, text: str, reach: int) -> QuerySet | RankedRows:
    """The movies of ``queryset`` that best match ``text``, most relevant first: at most
    ``reach`` + 1 (one more than a page number reaches, so that the count knows there are more).

    On PostgreSQL, relevance is:

    1. a title that is the text's words, ignoring case, accents and punctuation;
    2. ``ts_rank``: title words (A) over overview words (B), more occurrences over fewer;
    3. the shorter title ("Alien" before "Alien Resurrection");
    4. the id.

    One query picks the candidates, with their keys: the ``reach`` + 1 best by rank (read in rank
    order from the RUM index, or ranked one by one on the GIN path), and the equal titles. They
    are put in order here; a page then reads its own rows by id. When no movie has the words, the
    candidates are instead the movies whose title is most similar to the text (a typo:
    "shawshenk"), by pg_trgm word similarity (at least 0.6), then id. On SQLite this is
    ``movie_search``.
    """
    words = search_words(text)
    if not words or connections[queryset.db].vendor != "postgresql":
        return movie_search(queryset=queryset, text=text)
    query = search_query(words)
    phrase = " ".join(words)
    matches = queryset.filter(search_document=query).annotate(
        equal_title=title_has_the_words(phrase),
        rank=SearchRank(F("search_document"), query),
        title_length=Length("title"),
    )
    keys = ("pk", "equal_title", "rank", "title_length")
    if search_index(queryset.db) == "rum":
        best = matches.order_by(RankDistance(F("search_document"), query))
    else:
        best = matches.order_by("-rank", "title_length", "pk")
    candidates = best.values_list(*keys)[: reach + 1].union(
        matches.filter(equal_title=True).values_list(*keys)[:reach]
    )
    ranked = sorted(candidates, key=lambda row: (not row[1], -row[2], row[3], row[0]))
    if not ranked:
        similar = (
            queryset.filter(title__trigram_word_similar=phrase)
            .annotate(similarity=TrigramWordSimilarity(phrase, "title"))
            .order_by("-similarity", "pk")
        )
        ranked = similar.values_list("pk", "similarity")[: reach + 1]
    return RankedRows(queryset, [row[0] for row in ranked])


def movie_versions(*, movie_id: int) -> QuerySet:
    """The recorded versions of a movie, deleted or not, newest first (``Movie.history``)."""
    return (
        Movie.history.filter(id=movie_id)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
