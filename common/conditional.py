"""Conditional requests (RFC 9110 §13) on one resource: a strong ``ETag`` from its ``version``,
``If-None-Match`` on reads (304), ``If-Match`` on writes (412 when it names another version; 428
when the setting ``REQUIRE_IF_MATCH`` is on and it is missing).

The ETag is the version, quoted: the version is counted by the database on every save, so two
states of a resource never share one. A stale ``If-Match`` is refused before anything is read
from the body; the write then checks the version again in the statement that writes (the
model's ``save(expected_version=...)``), so of two writers racing with one tag only one wins.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response

# An entity tag (RFC 9110 §8.8.3): W/ if weak, then a quoted string, then a comma or the end.
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?("[\x21\x23-\x7e]*")[ \t]*(?:,|$)')


class VersionMismatch(Exception):
    """The resource is no longer at the version the writer expected: nothing was written."""


class PreconditionFailed(exceptions.APIException):
    status_code = HTTPStatus.PRECONDITION_FAILED
    default_detail = _(
        "The resource has changed since you read it (If-Match names another version). "
        "Read it again, then retry."
    )
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = HTTPStatus.PRECONDITION_REQUIRED
    default_detail = _(
        "Send If-Match with the ETag of the version you read: this server refuses writes that "
        "could overwrite someone else's change."
    )
    default_code = "precondition_required"


def entity_tag(version: int) -> str:
    return f'"{version}"'


def entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """``(weak, tag)`` for each tag of an ``If-Match``/``If-None-Match`` value, ``[]`` for ``*``,
    ``None`` for a malformed value (which then matches nothing)."""
    value = header.strip(" \t")
    if value == "*":
        return []
    tags, position = [], 0
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            return None
        tags.append((bool(match[1]), match[2]))
        position = match.end()
    return tags or None


class ConditionalRequestsMixin:
    """For a viewset whose model has a ``version`` counted on every save (see the module), whose
    serializer's ``save()`` passes ``expected_version`` on, and that says how to delete at a
    version (``delete_at_version``)."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        tag = entity_tag(instance.version)
        condition = request.headers.get("If-None-Match")
        tags = None if condition is None else entity_tags(condition)
        # Weak comparison (§13.1.2): W/"3" matches "3"; * matches any current version.
        if tags is not None and (not tags or any(each == tag for _weak, each in tags)):
            return self._tagged(Response(status=HTTPStatus.NOT_MODIFIED), tag)
        return self._tagged(Response(self.get_serializer(instance).data), tag)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        expected = self.expected_version(instance)  # 412 or 428 before the body is read
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            written = serializer.save(expected_version=expected)
        except VersionMismatch:
            raise PreconditionFailed from None
        return self._tagged(Response(serializer.data), entity_tag(written.version))

    def perform_destroy(self, instance) -> None:
        try:
            self.delete_at_version(instance, self.expected_version(instance))
        except VersionMismatch:
            raise PreconditionFailed from None

    def delete_at_version(self, instance, expected_version: int | None) -> None:
        """Delete ``instance``, at ``expected_version`` only when one is given (else raise
        ``VersionMismatch``), in one step: the viewset's own service."""
        raise NotImplementedError

    def expected_version(self, instance) -> int | None:
        """The version a write may change: None without ``If-Match`` (a 428 instead when
        ``REQUIRE_IF_MATCH`` is on); the one this request read for ``*`` or for its ETag; any
        other tag, a weak one included (§13.1.1: strong comparison), is a 412."""
        condition = self.request.headers.get("If-Match")
        if condition is None:
            if settings.REQUIRE_IF_MATCH:
                raise PreconditionRequired
            return None
        tags = entity_tags(condition)
        current = entity_tag(instance.version)
        if tags is None or (tags and (False, current) not in tags):
            raise PreconditionFailed
        return instance.version

    @staticmethod
    def _tagged(response: Response, tag: str) -> Response:
        response["ETag"] = tag
        # The client may keep it, and checks it with the server (If-None-Match) before each use.
        response["Cache-Control"] = "private, no-cache"
        return response
