"""Pagination of every list: page numbers with a bounded count, or keyset cursors for deep walks.

Page numbers (``?page=``) count at most ``count_limit`` rows (one ``SELECT count(*)`` over a
``LIMIT``-ed subquery), so a page costs the same on a thousand rows as on millions. Up to the
limit ``count`` is exact; above it ``count`` is the limit and ``count_exact`` is false: "at least
this many". Page numbers reach the first ``count_limit`` rows; deeper, a page number is a 404 (as a
page past the last one is) that points to the cursor, and the last page's ``next`` link
continues with one. A list in an order no index reads row by row (relevance: any order that is
not a keyset, or ``RankedRows``) reaches its first ``ranked_count_limit`` rows instead, the most
its ranking picks.

Cursors (``?cursor=``, empty to start) walk any number of rows at the cost of one indexed range
read per page: each page starts after (or, going back, before) the ordering key and id of the row
where the last one ended. Cursors are signed (``django.core.signing``, so only this server makes
them) and carry their ordering: a cursor used with another ordering is a 404 (as in DRF's cursor
pagination), as is one that was altered or made by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from common.integers import MAX_ASCII_INT, parse_ascii_int
from common.query import repeated_parameters

# A list answer's ``mode``: which pagination answered (the schema's PaginationModeEnum).
PAGINATION_MODES = ("page", "cursor")
# As DRF's own CursorPagination answers: a cursor names a position, and this one names none.
INVALID_CURSOR = _("Invalid cursor: use a next or previous link of this list as it is.")
_CURSOR_SALT = "common.pagination.cursor"


def _positive_int(request, param: str) -> int | None:
    raw = request.query_params.get(param)
    if raw is None:
        return None
    try:
        value = parse_ascii_int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationError({param: [_("Must be a whole number of at least 1.")]})
    return value


class RankedRows(Sequence):
    """Rows of ``queryset`` in an order decided beforehand (say, by relevance), held as their
    primary keys: its length is known without a count, and a slice (a page) reads only its own
    rows, by primary key. A row deleted since the ranking is left out of its page."""

    def __init__(self, queryset: QuerySet, pks: list):
        self.queryset = queryset
        self.pks = pks

    def __len__(self) -> int:
        return len(self.pks)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        pks = self.pks[index]
        rows = self.queryset.in_bulk(pks)
        return [rows[pk] for pk in pks if pk in rows]


class BoundedCountPaginator(Paginator):
    """Django's paginator, counting no further than ``count_limit`` rows."""

    def __init__(self, object_list, per_page, *, count_limit: int, late_row_lookup: bool = False):
        super().__init__(object_list, per_page)
        self.count_limit = count_limit
        self.late_row_lookup = late_row_lookup

    @cached_property
    def bounded_count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return min(len(self.object_list), self.count_limit + 1)
        # Order does not change how many rows there are; dropping it spares a sort of every row.
        return self.object_list.order_by()[: self.count_limit + 1].count()

    @property
    def count(self) -> int:
        return min(self.bounded_count, self.count_limit)

    @property
    def count_exact(self) -> bool:
        return self.bounded_count <= self.count_limit

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        # Up to the count, the last page takes the orphans as Django's does; beyond it pages are
        # full, and the last a number reaches carries on with a cursor (its next link).
        if self.count_exact and top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list[bottom:top]
        if bottom and self.late_row_lookup:
            # Late row lookup: skip rows on the ordering's index alone (ids only, an index-only
            # scan), then read the page's rows, instead of reading every skipped row. Only for an
            # order of plain columns: an order by relevance would be computed twice.
            rows = self.object_list.filter(pk__in=self.object_list.values("pk")[bottom:top])
        return self._get_page(rows, number, self)


class Keyset:
    """An ordering a cursor can resume: model fields, ending with the primary key.

    ``terms`` are Django ordering strings (``"-rating"``, ``"-id"``); the values of the keyset
    fields must not be NULL.
    """

    def __init__(self, model: type[Model], terms: list[str]):
        self.model = model
        self.terms = terms
        self.fields = [model._meta.get_field(term.lstrip("-")) for term in terms]
        self.descending = [term.startswith("-") for term in terms]

    @classmethod
    def of(cls, queryset: QuerySet | RankedRows) -> Keyset | None:
        """The queryset's own order as a keyset, or None if it is not one (e.g. by relevance)."""
        if not isinstance(queryset, QuerySet):
            return None
        model = queryset.model
        terms = list(queryset.query.order_by or model._meta.ordering)
        pk_name = model._meta.pk.name
        try:
            if not all(isinstance(term, str) for term in terms):
                return None
            terms = [
                term.replace("pk", pk_name) if term.lstrip("-") == "pk" else term for term in terms
            ]
            for term in terms:
                field = model._meta.get_field(term.lstrip("-"))
                if not field.concrete or field.is_relation:
                    return None
        except FieldDoesNotExist:
            return None
        if not terms or terms[-1].lstrip("-") != pk_name:
            last_descending = bool(terms) and terms[-1].startswith("-")
            terms.append(f"-{pk_name}" if last_descending else pk_name)
        return cls(model, terms)

    def position_of(self, row: Model) -> list[str]:
        return [field.value_to_string(row) for field in self.fields]

    def after(self, position: list, *, backwards: bool = False) -> Q:
        """Rows after ``position`` in this order (before it, ``backwards``).

        The first term's ``>=`` (or ``<=``) bound lets the database range-scan its (key, id)
        index; the disjunction then skips the rows at the position and before it.
        """
        names = [field.attname for field in self.fields]
        ascending = [descending == backwards for descending in self.descending]
        strictly = Q()
        for index, name in enumerate(names):
            step = Q(**{f"{name}__{'gt' if ascending[index] else 'lt'}": position[index]})
            for earlier in range(index):
                step &= Q(**{names[earlier]: position[earlier]})
            strictly |= step
        bound = Q(**{f"{names[0]}__{'gte' if ascending[0] else 'lte'}": position[0]})
        return bound & strictly

    def encode(self, row: Model, *, backwards: bool) -> str:
        payload = {"o": self.terms, "v": self.position_of(row), "b": backwards}
        return signing.dumps(payload, salt=_CURSOR_SALT)

    def decode(self, cursor: str) -> tuple[list, bool]:
        """(position, backwards) from a cursor of this keyset; a 404 if the cursor is not one
        this server signed, or belongs to another ordering."""
        try:
            payload = signing.loads(cursor, salt=_CURSOR_SALT)
        except signing.BadSignature:
            raise NotFound(INVALID_CURSOR) from None
        if payload["o"] != self.terms:
            raise NotFound(INVALID_CURSOR)
        # Values this server wrote (``position_of``), back to the fields' Python types.
        position = [
            field.to_python(value) for field, value in zip(self.fields, payload["v"], strict=True)
        ]
        return position, payload["b"]


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers with a bounded count, or keyset cursors (module docstring).

    A malformed page or size, or a size above 100, is a 400 naming it; a page past
    the last or past the reach of page numbers, and a cursor that names no position, are 404s.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_param = "cursor"
    count_limit = 10_000
    ranked_count_limit = 1_000

    def paginate_queryset(self, queryset, request, view=None):
        errors = repeated_parameters(
            request.query_params,
            (self.page_query_param, self.page_size_query_param, self.cursor_query_param),
        )
        if errors:
            raise ValidationError(errors)
        self.request = request
        self.keyset = Keyset.of(queryset)
        if self.keyset is None:
            self.count_limit = self.ranked_count_limit
        self.cursor_mode = self.cursor_query_param in request.query_params
        if self.cursor_mode:
            return self._paginate_by_cursor(queryset, request)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        return BoundedCountPaginator(
            object_list,
            per_page,
            count_limit=self.count_limit,
            late_row_lookup=isinstance(object_list, QuerySet) and self.keyset is not None,
        )

    def get_page_size(self, request) -> int:
        size = _positive_int(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        if size > self.max_page_size:  # as the schema's maximum says, not quietly capped
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Ensure this value is less than or equal to %(limit)s.")
                        % {"limit": self.max_page_size}
                    ]
                }
            )
        return size

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw in self.last_page_strings:
            if not paginator.count_exact:
                raise NotFound(self._too_deep_message())
            return paginator.num_pages
        number = _positive_int(request, self.page_query_param) or 1
        if (number - 1) * paginator.per_page >= self.count_limit:
            # Like a page past the last one (DRF answers 404), with the way further.
            raise NotFound(self._too_deep_message())
        return number

    def _too_deep_message(self) -> str:
        if self.keyset is None:
            return _(
                "Page numbers reach the first %(limit)s results of an order by relevance. To "
                "read further, give an ordering, or walk the list with cursor (start with "
                "cursor= and an empty value)."
            ) % {"limit": self.count_limit}
        return _(
            "Page numbers reach the first %(limit)s results. To go further, follow the next "
            "links, or walk the list with cursor (start with cursor= and an empty value)."
        ) % {"limit": self.count_limit}

    def get_paginated_response(self, data):
        if self.cursor_mode:
            count = count_exact = None
            cursors = (self._next_cursor, self._previous_cursor)
        else:
            paginator = self.page.paginator
            count, count_exact = paginator.count, paginator.count_exact
            cursors = (self._deepest_page_cursor(), None)
        return Response(
            {
                "mode": "cursor" if self.cursor_mode else "page",
                "count": count,
                "count_exact": count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "next_cursor": cursors[0],
                "previous_cursor": cursors[1],
                "results": data,
            }
        )

    def _deepest_page_cursor(self) -> str | None:
        """On the deepest page a number reaches, the cursor that carries on from its last row."""
        if self.page.has_next() or self.page.paginator.count_exact or self.keyset is None:
            return None
        return self.keyset.encode(self.page[-1], backwards=False)

    def get_next_link(self):
        if self.cursor_mode:
            return self._cursor_link(self._next_cursor)
        cursor = self._deepest_page_cursor()
        return super().get_next_link() if cursor is None else self._cursor_link(cursor)

    def get_previous_link(self):
        if self.cursor_mode:
            return self._cursor_link(self._previous_cursor)
        return super().get_previous_link()

    def _cursor_link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def _paginate_by_cursor(self, queryset, request):
        if self.keyset is None:
            # An order no cursor can resume (relevance): cursors follow the model's default.
            queryset = queryset.order_by(*queryset.model._meta.ordering)
            self.keyset = Keyset.of(queryset)
        size = self.get_page_size(request)
        cursor = request.query_params[self.cursor_query_param]
        position, backwards = self.keyset.decode(cursor) if cursor else (None, False)
        terms = self.keyset.terms
        if backwards:
            terms = [term[1:] if term.startswith("-") else f"-{term}" for term in terms]
        rows = queryset.order_by(*terms)
        if position is not None:
            rows = rows.filter(self.keyset.after(position, backwards=backwards))
        rows = list(rows[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        has_next, has_previous = (True, more) if backwards else (more, position is not None)
        self._next_cursor = (
            self.keyset.encode(rows[-1], backwards=False) if has_next and rows else None
        )
        self._previous_cursor = (
            self.keyset.encode(rows[0], backwards=True) if has_previous and rows else None
        )
        return rows

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(minimum=1, maximum=MAX_ASCII_INT)
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = _(
                    "Results per page: default %(default)d, at most %(most)d."
                ) % {"default": self.page_size, "most": self.max_page_size}
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["maximum"] = self.count_limit
                parameter["description"] = _(
                    "A page number, or 'last'; page numbers reach the first %(limit)d results."
                ) % {"limit": self.count_limit}
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": _(
                    "Walk the list with keyset cursors instead of page numbers: empty for the "
                    "first page, then the next and previous links. Responses carry no count. "
                    "With a cursor, page is not read."
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        cursor = {"type": "string", "nullable": True}
        return {
            "type": "object",
            "required": [
                "mode",
                "count",
                "count_exact",
                "next",
                "previous",
                "next_cursor",
                "previous_cursor",
                "results",
            ],
            "properties": {
                "mode": {
                    "type": "string",
                    "enum": list(PAGINATION_MODES),
                    "description": _(
                        "Which pagination answered: page numbers (?page=), or cursors (?cursor=)."
                    ),
                },
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "description": _(
                        "Page numbers only: the number of results, exact up to %(limit)d; "
                        "above, %(limit)d (see count_exact)."
                    )
                    % {"limit": self.count_limit},
                    "example": 123,
                },
                "count_exact": {
                    "type": "boolean",
                    "nullable": True,
                    "description": _("Page numbers only: false when count is a lower bound."),
                },
                "next": {**link, "example": "http://127.0.0.1:8000/api/movies/?page=4"},
                "previous": {**link, "example": "http://127.0.0.1:8000/api/movies/?page=2"},
                "next_cursor": {
                    **cursor,
                    "description": _(
                        "The next page's ?cursor= value, when next is a cursor link: follow the "
                        "list with it, without parsing next."
                    ),
                },
                "previous_cursor": {
                    **cursor,
                    "description": _("The previous page's ?cursor= value (cursors only)."),
                },
                "results": schema,
            },
        }
