"""What search reads: the text search configuration, the stored search document of a movie, and
the index that serves a ranked search.

The search itself is ``movies.selectors``: ``movie_search`` (the movies with the words) and
``movie_search_ranked`` (the most relevant of them, or titles similar to a typo).

PostgreSQL keeps a stored ``tsvector`` of each movie (``Movie.search_document``) built with the
``movie_search`` text search configuration: the ``simple`` parser and dictionary (no stemming, no
stop words, any language) behind the ``unaccent`` dictionary, so "accion" finds "Acción" and case
never matters. Every word of the search text must start a word of the title or the overview
("marin" finds "marine"); title words (weight A) weigh more than overview words (weight B).

Two index types can serve it (migrations 0002 and 0005):

- GIN (``movie_search_document_idx``, always there) finds the matches; ranking them means
  computing ``ts_rank`` for every match and sorting: fine for thousands, slow for a word in
  hundreds of thousands of movies.
- RUM (where the ``rum`` extension is installed) keeps each word's positions and weights in the
  index, and reads matches in rank order (``document <=> query``, 1 / ``ts_rank``) without
  visiting the table for the ones it skips. Its cost grows with the matches it ranks, so there
  are two: of titles' words (``movie_title_rum_idx``), read first for a one-word search, since a
  title with the word outranks any overview with it; and of whole documents
  (``movie_search_rum_idx``), read when titles alone do not fill the candidates.

Ranked searches use RUM where the indexes exist, unless ``SEARCH_INDEX = "gin"`` forces the GIN
path (tests do, to check the fallback). ``search_index`` says which serves the next search, and
logs it once per process.

Similar titles (a typo) read a trigram index of titles (``pg_trgm``), and a title equal to the
text is found by an index of titles' words (both migration 0004).

SQLite (development only) has none of these: every word must appear somewhere in the title or the
overview (``icontains``), accents are not folded, typos find nothing, and results keep the list's
usual order.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from django.conf import settings
from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import BooleanField, FloatField, Func, Value

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "movie_search"
GIN_INDEX_NAME = "movie_search_document_idx"
RUM_INDEX_NAME = "movie_search_rum_idx"
TITLE_RUM_INDEX_NAME = "movie_title_rum_idx"
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


class RumIndex(PostgresIndex):
    """An index of the RUM access method (the ``rum`` extension, not part of PostgreSQL)."""

    suffix = "rum"


def title_words() -> SearchVector:
    """A title's words as the search reads them (case and accents folded, punctuation dropped):
    equal for "Alien: Covenant" and "alien covenant". Indexed (migration 0004)."""
    return SearchVector("title", config=SEARCH_CONFIG)


class SameWords(Func):
    """``a = b`` of two tsvectors: the same words at the same places."""

    arg_joiner = " = "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def title_has_the_words(phrase: str) -> SameWords:
    """Whether a movie's title is exactly the words of ``phrase``."""
    return SameWords(title_words(), SearchVector(Value(phrase), config=SEARCH_CONFIG))


class RankDistance(Func):
    """``document <=> query``: RUM's distance, 1 / ``ts_rank``, which its index returns in order."""

    arg_joiner = " <=> "
    template = "(%(expressions)s)"
    output_field = FloatField()


def search_words(text: str) -> list[str]:
    """The words of a search text: runs of letters and digits."""
    return _WORD.findall(text)


def search_query(words: list[str]) -> SearchQuery:
    """Every word, each as a word or the start of one."""
    return SearchQuery(
        " & ".join(f"{word}:*" for word in words), config=SEARCH_CONFIG, search_type="raw"
    )


def search_index(using: str) -> str:
    """``"rum"`` or ``"gin"``: the index a ranked search on database ``using`` reads."""
    forced = settings.SEARCH_INDEX == "gin"
    index = "gin" if forced or not rum_index_exists(using) else "rum"
    announce_search_index(using, index, forced)
    return index


@cache
def rum_index_exists(using: str) -> bool:
    """Whether the RUM index is there (asked once per process: migrations make it or not)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [RUM_INDEX_NAME])
        return cursor.fetchone()[0]


@cache
def announce_search_index(using: str, index: str, forced: bool) -> None:
    """Log, once per process, which index ranked searches read, and why."""
    why = "SEARCH_INDEX is gin" if forced else "the rum extension was not there to migrate"
    logger.info(
        "Ranked search on database %r reads the %s index (%s)",
        using,
        index.upper(),
        RUM_INDEX_NAME if index == "rum" else f"{GIN_INDEX_NAME}: {why}",
    )
