"""Writes of the movies app. The API, Django admin and the sample loader all write through here,
so a movie's rules, title-and-year uniqueness included, are checked in one place."""

import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from common.conditional import VersionMismatch
from movies.models import DUPLICATE_TITLE_YEAR, Movie
from movies.selectors import movie_title_year_taken

SAMPLE_CATALOG = Path(__file__).with_name("sample_catalog.json")


class DuplicateMovie(ValidationError):
    """Another movie has this title (ignoring case) and year."""

    def __init__(self):
        super().__init__({"title": [ValidationError(DUPLICATE_TITLE_YEAR, code="unique")]})


def movie_create(
    *, title: str, year: int, rating: Decimal, category: str, overview: str = ""
) -> Movie:
    """Add a movie; raise ``ValidationError`` (``DuplicateMovie`` for a taken title and year)."""
    movie = Movie(title=title, year=year, rating=rating, category=category, overview=overview)
    return movie_save(movie=movie)


def movie_update(*, movie: Movie, expected_version: int | None = None, **fields) -> Movie:
    """Change the given fields of ``movie``; raises as ``movie_create`` does, and
    ``VersionMismatch`` if ``expected_version`` is given and no longer the movie's."""
    for name, value in fields.items():
        setattr(movie, name, value)
    return movie_save(movie=movie, expected_version=expected_version)


def movie_save(*, movie: Movie, expected_version: int | None = None) -> Movie:
    """Check every rule of ``movie`` (new or changed) and write it; the one place that does."""
    movie.full_clean(validate_constraints=False)
    _ensure_title_year_free(movie)
    try:
        with transaction.atomic():
            movie.save(expected_version=expected_version)
    except IntegrityError:
        # The check above saw no duplicate, but a concurrent write may have made one since: the
        # unique constraint decided, and the loser hears the same message as everyone else.
        _ensure_title_year_free(movie)
        raise
    return movie


def movie_delete(*, movie: Movie, expected_version: int | None = None) -> None:
    """Delete ``movie`` (its history keeps it); with ``expected_version``, only at that version,
    in one step, else ``VersionMismatch`` and nothing is deleted."""
    with transaction.atomic():
        # The row locked, then checked, then deleted: no write can come in between, and the
        # history records the values deleted.
        current = Movie.objects.select_for_update().filter(pk=movie.pk).first()
        if expected_version is not None and getattr(current, "version", None) != expected_version:
            raise VersionMismatch
        if current is not None:
            current.delete()


def _ensure_title_year_free(movie: Movie) -> None:
    if movie_title_year_taken(title=movie.title, year=movie.year, exclude_pk=movie.pk):
        raise DuplicateMovie


@transaction.atomic
def sample_catalog_load(*, path: Path = SAMPLE_CATALOG) -> int:
    """Fill an empty catalog with the sample films; return how many were added.

    A catalog with any film in it is left exactly as it is: the sample never brings back a film
    an admin deleted, nor undoes an edit. Only an empty catalog (a new database, or one whose
    every film was deleted) gets the sample again.
    """
    if Movie.objects.exists():
        return 0
    added = 0
    for entry in json.loads(path.read_text(encoding="utf-8")):
        try:
            movie_create(**{**entry, "rating": Decimal(str(entry["rating"]))})
        except DuplicateMovie:
            continue  # a loader running at the same time added it first
        added += 1
    return added
