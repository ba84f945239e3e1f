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
    title_words,
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

    One query picks the candidates, with their keys: the ``reach`` + 1 best by rank, and the equal
    titles. On the GIN path every match is ranked; from RUM the best come in rank order: for one
    word, from the index of titles' words when titles alone fill them (a title with the word
    outranks an overview with it), else from the index of documents (a second query).
    Equally ranked movies beyond the candidates are the index's choice. The candidates are put in
    order here; a page then reads its own rows by id. When no movie has the words, the
    candidates are instead the movies whose title is most similar to the text (a typo:
    "shawshenk"), by pg_trgm word similarity (at least 0.6), then id. On SQLite this is
    ``movie_search``.
    """
    words = search_words(text)
    if not words or connections[queryset.db].vendor != "postgresql":
        return movie_search(queryset=queryset, text=text)
    query = search_query(words)
    phrase = " ".join(words)
    ranked = queryset.annotate(
        rank=SearchRank(F("search_document"), query), title_length=Length("title")
    )
    matches = ranked.filter(search_document=query)
    # The equal titles come from their own index; whether the best are equal titles is not
    # computed for each of them (a to_tsvector a row), but read from that part's answer.
    equal = matches.filter(title_has_the_words(phrase)).annotate(equal_title=Value(True))
    keys = ("pk", "rank", "title_length", "equal_title")

    def with_equal_titles(best: QuerySet) -> list[tuple]:
        return list(
            best.annotate(equal_title=Value(False))
            .values_list(*keys)[: reach + 1]
            .union(equal.values_list(*keys)[:reach])
        )

    if search_index(queryset.db) == "gin":
        rows = with_equal_titles(matches.order_by("-rank", "title_length", "pk"))
    else:
        rows = []
        if len(words) == 1:
            # One word in a title outranks it in an overview, however often (once in a title
            # ranks 0.61, thirty times in an overview 0.39; not so for several words, whose rank
            # also weighs how close together they are): when titles alone fill the candidates,
            # the smaller index of titles' words is enough. Not also filtered on the document
            # (the title is part of it): the planner would then combine both indexes and sort.
            rows = with_equal_titles(
                ranked.alias(title_words=title_words())
                .filter(title_words=query)
                .order_by(RankDistance(title_words(), query))
            )
        if sum(not equal for *_, equal in rows) <= reach:
            rows = with_equal_titles(matches.order_by(RankDistance(F("search_document"), query)))
    equal_pks = {pk for pk, *_, equal in rows if equal}
    # By pk: an equal title among the best is there twice.
    keyed = sorted({(pk not in equal_pks, -rank, length, pk) for pk, rank, length, _ in rows})
    pks = [key[-1] for key in keyed]
    if not pks:
        similar = (
            queryset.filter(title__trigram_word_similar=phrase)
            .annotate(similarity=TrigramWordSimilarity(phrase, "title"))
            .order_by("-similarity", "pk")
        )
        pks = list(similar.values_list("pk", flat=True)[: reach + 1])
    return RankedRows(queryset, pks)


def movie_versions(*, movie_id: int) -> QuerySet:
    """The recorded versions of a movie, deleted or not, newest first (``Movie.history``)."""
    return (
        Movie.history.filter(id=movie_id)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
