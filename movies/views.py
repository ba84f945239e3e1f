from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.reverse import reverse

from common.openapi import AUTHENTICATED, NOT_FOUND, field_errors
from common.pagination import StrictPageNumberPagination
from movies.filters import MovieFilter
from movies.models import DUPLICATE_TITLE_YEAR, Movie
from movies.serializers import MovieSerializer

# Not in the sample catalog (movies/sample_catalog.json), so "Try it out" on a fresh `make run`
# creates it rather than meeting the title-and-year rule.
MOVIE_EXAMPLE = OpenApiExample(
    "Paprika",
    value={
        "title": "Paprika",
        "overview": "A device that lets therapists enter their patients' dreams is stolen.",
        "year": 2006,
        "rating": 7.7,
        "category": "Animación",
    },
    request_only=True,
)
INVALID_MOVIE = field_errors(
    "A field is missing or breaks its rule, or the title and year are taken.",
    {"title": [str(DUPLICATE_TITLE_YEAR)]},
)
WRITE_ERRORS = {400: INVALID_MOVIE, **AUTHENTICATED}
# The router takes ASCII digits only (common.routers); clients send and get an integer.
MOVIE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The movie's id."))


@extend_schema_view(
    list=extend_schema(
        operation_id="movies_list",
        summary="List movies",
        description=(
            "Filter, search, order and paginate the catalog. Page numbers reach the first "
            f"{StrictPageNumberPagination.count_limit} results, so the deepest page depends on "
            "page_size (a rule no schema can state): a page beyond it is a 404 that points to "
            "the cursor; next links and next_cursor carry on past it."
        ),
        responses={
            200: MovieSerializer(many=True),
            400: field_errors("A query parameter has a bad value.", {"year": ["Enter a number."]}),
            **AUTHENTICATED,
            404: NOT_FOUND,
        },
    ),
    create=extend_schema(
        operation_id="movies_create",
        summary="Add a movie",
        description=(
            "Adds a movie to the catalog and answers it with its Location. A title and year "
            "already in the catalog, ignoring case, is a 400 (a rule no schema can state)."
        ),
        examples=[MOVIE_EXAMPLE],
        responses={201: MovieSerializer, **WRITE_ERRORS},
    ),
    retrieve=extend_schema(
        operation_id="movies_retrieve",
        parameters=[MOVIE_ID],
        summary="Get a movie",
        description="One movie of the catalog, by id.",
        responses={200: MovieSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    ),
    update=extend_schema(
        operation_id="movies_update",
        parameters=[MOVIE_ID],
        summary="Replace a movie",
        description=(
            "Replaces every field; an optional field left out takes its default again. The "
            "read-only fields may be sent as GET gave them: they are ignored."
        ),
        examples=[MOVIE_EXAMPLE],
        responses={200: MovieSerializer, **WRITE_ERRORS, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        operation_id="movies_partial_update",
        parameters=[MOVIE_ID],
        summary="Change some fields of a movie",
        description="Changes the fields sent and keeps the others.",
        responses={200: MovieSerializer, **WRITE_ERRORS, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        operation_id="movies_destroy",
        parameters=[MOVIE_ID],
        summary="Delete a movie",
        description="Removes the movie from the catalog for good.",
        responses={204: None, **AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class MovieViewSet(viewsets.ModelViewSet):
    """The movie catalog, for admins."""

    # The search document is for the database's eyes only: no need to fetch it with each row.
    queryset = Movie.objects.defer("search_document")
    serializer_class = MovieSerializer
    filterset_class = MovieFilter

    def filter_queryset(self, queryset):
        # The list's query parameters mean nothing to one movie: skip building the filter set.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_success_headers(self, data) -> dict:
        return {"Location": reverse("movie-detail", args=[data["id"]], request=self.request)}
