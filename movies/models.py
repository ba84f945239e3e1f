from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from movies.search import MovieSearchDocument
from movies.validators import FIRST_FILM_YEAR, NotTooFarAheadValidator

DUPLICATE_TITLE_YEAR = _("A movie with this title and year already exists.")
MIN_RATING = Decimal("0.0")
MAX_RATING = Decimal("10.0")


class Movie(models.Model):
    """A film in the catalog. Title and year together are unique, ignoring case."""

    title = models.CharField(_("title"), max_length=200)
    overview = models.TextField(_("overview"), max_length=2000, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"),
        validators=[MinValueValidator(FIRST_FILM_YEAR), NotTooFarAheadValidator()],
        help_text=_("Release year, from 1888 to ten years after the current one."),
    )
    rating = models.DecimalField(
        _("rating"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)],
        help_text=_("From 0.0 to 10.0, one decimal."),
    )
    category = models.CharField(_("category"), max_length=50)
    # The key of the case-insensitive category filter. A real column (not only an expression
    # index) lets PostgreSQL count a category's movies from the index alone.
    category_key = models.GeneratedField(
        expression=Lower("category"),
        output_field=models.CharField(max_length=50),
        db_persist=True,
        editable=False,
    )
    # What `search` reads (movies/search.py): a GIN-indexed tsvector on PostgreSQL, NULL on SQLite.
    search_document = models.GeneratedField(
        expression=MovieSearchDocument(),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ("title", "id")
        verbose_name = _("movie")
        verbose_name_plural = _("movies")
        constraints = [
            models.UniqueConstraint(
                Lower("title"),
                "year",
                name="movie_title_year_ci_unique",
                violation_error_message=DUPLICATE_TITLE_YEAR,
            ),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_FILM_YEAR), name="movie_year_not_before_film"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING),
                name="movie_rating_0_to_10",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="movie_title_not_empty"),
            models.CheckConstraint(condition=~Q(category=""), name="movie_category_not_empty"),
        ]
        indexes = [
            models.Index(fields=("title", "id"), name="movie_title_id_idx"),
            models.Index(fields=("year", "id"), name="movie_year_id_idx"),
            models.Index(fields=("rating", "id"), name="movie_rating_id_idx"),
            models.Index(fields=("created_at", "id"), name="movie_created_id_idx"),
            models.Index(fields=("category_key", "rating", "id"), name="movie_category_rating_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"
