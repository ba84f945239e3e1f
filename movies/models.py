from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.conditional import VersionMismatch
from movies.search import MovieSearchDocument
from movies.validators import FIRST_FILM_YEAR, NotTooFarAheadValidator

DUPLICATE_TITLE_YEAR = _("A movie with this title and year already exists.")
# The fields a movie's history keeps and compares: what a client or an admin writes.
HISTORY_FIELDS = ("title", "overview", "year", "rating", "category")

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
    # Counted by the database on every save: the API's ETag, and what a conditional write expects.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Every save and delete through the model (API, admin, services, shell, sample loader) records
    # the values, the instant and the user; QuerySet.update(), bulk_create() and SQL do not.
    history = HistoricalRecords(excluded_fields=["category_key", "search_document"])

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

    def save(self, *args, expected_version: int | None = None, **kwargs) -> None:
        """Save, with the next version. Given ``expected_version``, the version check and the
        write are one step (one ``UPDATE ... WHERE version =``): a movie changed since raises
        ``VersionMismatch`` and nothing is written."""
        with transaction.atomic(using=kwargs.get("using")):
            if not self._state.adding:
                rows = Movie.objects.filter(pk=self.pk)
                if expected_version is not None:
                    rows = rows.filter(version=expected_version)
                if rows.update(version=F("version") + 1):
                    self.version = Movie.objects.values_list("version", flat=True).get(pk=self.pk)
                elif expected_version is not None:
                    raise VersionMismatch
                else:  # a deleted movie brought back (admin, history): its versions go on
                    last = self.history.aggregate(last=Max("version"))["last"] or 0
                    self.version = last + 1
            super().save(*args, **kwargs)


class IdempotentRequest(models.Model):
    """A create sent with an ``Idempotency-Key`` (movies/idempotency.py): who sent it, a
    fingerprint of what was sent, and once done, the answer a retry gets again. In the database,
    so that every app server sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the path and the canonical body
    created_at = models.DateTimeField()
    # While the first request runs: until then a retry is told to wait (409); a worker killed
    # half-way holds the key no longer than this.
    lease_until = models.DateTimeField(null=True)
    status = models.PositiveSmallIntegerField(null=True)  # the answer, once there is one
    body = models.TextField(blank=True)  # as rendered: the replay is the same bytes
    location = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "key"), name="idempotent_request_user_key")
        ]
        indexes = [models.Index(fields=("created_at",), name="idempotent_request_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'in flight'})"
