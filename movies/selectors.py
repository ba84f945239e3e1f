"""Reads of the movies app."""

from django.db.models import Value
from django.db.models.functions import Lower

from movies.models import Movie


def movie_title_year_taken(*, title: str, year: int, exclude_pk: int | None = None) -> bool:
    """Whether another movie has this title (ignoring case, as the database does) and year."""
    movies = Movie.objects.alias(title_lower=Lower("title")).filter(
        title_lower=Lower(Value(title)), year=year
    )
    if exclude_pk is not None:
        movies = movies.exclude(pk=exclude_pk)
    return movies.exists()
