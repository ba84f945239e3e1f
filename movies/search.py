"""What search reads: the text search configuration and the stored search document of a movie.

The search itself (ranked full-text search on PostgreSQL, a plain fallback on SQLite) is
``movies.selectors.movie_search``.

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

from django.contrib.postgres.search import SearchVector
from django.db.models import Func

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
