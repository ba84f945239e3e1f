"""Search of title and overview: ranked full-text search on PostgreSQL, a plain fallback on SQLite.

PostgreSQL keeps a stored ``tsvector`` of each movie (``Movie.search_document``, GIN-indexed) built
with the ``movie_search`` text search configuration: the ``simple`` parser and dictionary (no
stemming, no stop words, any language) behind the ``unaccent`` dictionary, so "accion" finds
"Acción" and case never matters. Every word of the search text must start a word of the title or
the overview ("marin" finds "marine"); title words weigh more than overview words in the rank.

SQLite (development only) has no such index: every word must appear somewhere in the title or the
overview (``icontains``), accents are not folded, and results keep the list's usual order.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import F, Func, Q, QuerySet

SEARCH_CONFIG = "movie_search"
# Letters and digits only: nothing the user types can become tsquery syntax.
_WORD = re.compile(r"[^\W_]+")


class MovieSearchDocument(Func):
    """The expression behind ``Movie.search_document``: weighted title and overview words.

    On SQLite the column exists (so the model is the same everywhere) but holds NULL.
    """

    template = "%(expressions)s"

    def __init__(self):
        super().__init__(
            SearchVector("title", config=SEARCH_CONFIG, weight="A")
            + SearchVector("overview", config=SEARCH_CONFIG, weight="B")
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


def search_words(text: str) -> list[str]:
    """The words of a search text: runs of letters and digits."""
    return _WORD.findall(text)


def movies_matching(queryset: QuerySet, text: str) -> QuerySet:
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
