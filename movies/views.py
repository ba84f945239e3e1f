import json
from http import HTTPStatus
from itertools import pairwise

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.reverse import reverse

from common.conditional import ConditionalRequestsMixin
from common.openapi import AUTHENTICATED, NOT_FOUND, ErrorSerializer, field_errors
from common.pagination import StrictPageNumberPagination
from movies.filters import MovieFilter
from movies.idempotency import (
    HEADER,
    KEY_PATTERN,
    fingerprint,
    idempotency_key,
    idempotent_request_abandon,
    idempotent_request_begin,
    idempotent_request_finish,
)
from movies.models import DUPLICATE_TITLE_YEAR, Movie
from movies.selectors import movie_versions
from movies.serializers import MovieSerializer, MovieVersionSerializer
from movies.services import movie_delete

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
    _("A field is missing or breaks its rule, or the title and year are taken."),
    {"title": [DUPLICATE_TITLE_YEAR]},
)
WRITE_ERRORS = {400: INVALID_MOVIE, **AUTHENTICATED}
# The router takes ASCII digits only (common.routers); clients send and get an integer.
MOVIE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The movie's id."))
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description=_(
        "The ETag of the version you read (or *): the write happens only if the movie is still "
        "at that version, else 412 and nothing is written."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description=_("The ETag you hold: 304 with no body if the movie has not changed since."),
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    description=_(
        "A key of your own for this create (a UUID): a retry with the same key and body within "
        "24 hours gets the first answer again (Idempotent-Replayed: true) and creates nothing."
    ),
)
PRECONDITIONS = {
    412: OpenApiResponse(ErrorSerializer, description=_("If-Match names another version.")),
    428: OpenApiResponse(
        ErrorSerializer, description=_("If-Match is required here and was not sent.")
    ),
}


@extend_schema_view(
    list=extend_schema(
        operation_id="movies_list",
        summary=_("List movies"),
        description=format_lazy(
            _(
                "Filter, search, order and paginate the catalog. Page numbers reach the first "
                "{limit} results, so the deepest page depends on page_size (a rule no schema can "
                "state): a page beyond it is a 404 that points to the cursor; next links and "
                "next_cursor carry on past it. A search without ordering reaches its {ranked} "
                "most relevant results by page number; cursors follow the ordering instead."
            ),
            limit=StrictPageNumberPagination.count_limit,
            ranked=StrictPageNumberPagination.ranked_count_limit,
        ),
        responses={
            200: MovieSerializer(many=True),
            400: field_errors(
                _("A query parameter has a bad value."), {"year": [_("Enter a number.")]}
            ),
            **AUTHENTICATED,
            404: NOT_FOUND,
        },
    ),
    create=extend_schema(
        operation_id="movies_create",
        summary=_("Add a movie"),
        description=_(
            "Adds a movie to the catalog and answers it with its Location. A title and year "
            "already in the catalog, ignoring case, is a 400 (a rule no schema can state)."
        ),
        parameters=[IDEMPOTENCY_KEY],
        examples=[MOVIE_EXAMPLE],
        responses={
            201: MovieSerializer,
            **WRITE_ERRORS,
            409: OpenApiResponse(
                ErrorSerializer, description=_("The first request with this key still runs.")
            ),
            422: OpenApiResponse(
                ErrorSerializer, description=_("This key was used with another body.")
            ),
        },
    ),
    retrieve=extend_schema(
        operation_id="movies_retrieve",
        parameters=[MOVIE_ID, IF_NONE_MATCH],
        summary=_("Get a movie"),
        description=_("One movie of the catalog, by id, with its ETag."),
        responses={
            200: MovieSerializer,
            304: OpenApiResponse(description=_("Not modified since the ETag you hold.")),
            **AUTHENTICATED,
            404: NOT_FOUND,
        },
    ),
    update=extend_schema(
        operation_id="movies_update",
        parameters=[MOVIE_ID, IF_MATCH],
        summary=_("Replace a movie"),
        description=_(
            "Replaces every field; an optional field left out takes its default again. The "
            "read-only fields may be sent as GET gave them: they are ignored."
        ),
        examples=[MOVIE_EXAMPLE],
        responses={200: MovieSerializer, **WRITE_ERRORS, 404: NOT_FOUND, **PRECONDITIONS},
    ),
    partial_update=extend_schema(
        operation_id="movies_partial_update",
        parameters=[MOVIE_ID, IF_MATCH],
        summary=_("Change some fields of a movie"),
        description=_("Changes the fields sent and keeps the others."),
        responses={200: MovieSerializer, **WRITE_ERRORS, 404: NOT_FOUND, **PRECONDITIONS},
    ),
    destroy=extend_schema(
        operation_id="movies_destroy",
        parameters=[MOVIE_ID, IF_MATCH],
        summary=_("Delete a movie"),
        description=_("Removes the movie from the catalog; its history keeps every version."),
        responses={
            204: OpenApiResponse(description=_("Deleted.")),
            **AUTHENTICATED,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    ),
    history=extend_schema(
        operation_id="movies_history",
        parameters=[MOVIE_ID],
        filters=False,  # the list's filters do not apply to a history
        summary=_("A movie's history"),
        description=_(
            "Every recorded version of the movie, newest first, deleted or not: who changed it, "
            "when, and each changed field before and after."
        ),
        responses={200: MovieVersionSerializer(many=True), **AUTHENTICATED, 404: NOT_FOUND},
    ),
)
class MovieViewSet(ConditionalRequestsMixin, viewsets.ModelViewSet):
    """The movie catalog, for admins: conditional reads and writes (common.conditional),
    idempotent creates (movies.idempotency), and each movie's history."""

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

    def create(self, request, *args, **kwargs):
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return super().create(request, *args, **kwargs)
        key = idempotency_key(raw_key)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # a malformed body keeps no record
        record, replay = idempotent_request_begin(
            user=request.user, key=key, fingerprint=fingerprint(request.path, request.data)
        )
        if replay:
            headers = {"Location": record.location, "Idempotent-Replayed": "true"}
            return Response(json.loads(record.body), status=record.status, headers=headers)
        try:
            with transaction.atomic():
                self.perform_create(serializer)
                headers = self.get_success_headers(serializer.data)
                idempotent_request_finish(
                    record=record,
                    status=HTTPStatus.CREATED,
                    data=serializer.data,
                    location=headers["Location"],
                )
        except BaseException:
            idempotent_request_abandon(record=record)
            raise
        return Response(serializer.data, status=HTTPStatus.CREATED, headers=headers)

    def delete_at_version(self, instance: Movie, expected_version: int | None) -> None:
        movie_delete(movie=instance, expected_version=expected_version)

    @action(detail=True, url_path="history")
    def history(self, request, pk=None):
        versions = movie_versions(movie_id=int(pk))
        if not versions.exists():
            raise NotFound
        page = self.paginate_queryset(versions)
        # Newest first: each record's predecessor is the next one on the page, read already.
        previous = {record.pk: older for record, older in pairwise(page)}
        serializer = MovieVersionSerializer(page, many=True, context={"previous": previous})
        return self.get_paginated_response(serializer.data)
