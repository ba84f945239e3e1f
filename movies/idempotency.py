"""Idempotent creates (the IETF draft "The Idempotency-Key HTTP Header Field").

A ``POST`` with ``Idempotency-Key`` is done once per user and key: a retry with the same body
within ``RETENTION`` gets the first answer again (``Idempotent-Replayed: true``); the same key with
another body is a 422; a retry while the first still runs is a 409. The record of a key is
written (and committed) before the work starts, so a concurrent retry on any server sees it;
the answer is stored in the transaction that creates, so a create and its stored answer exist
together or not at all. Only the created answer is stored: a request refused (a 400) keeps no
record, and its retry is judged afresh.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from common.errors import Conflict
from movies.models import IdempotentRequest

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
# 1 to 255 letters, digits or -._~:+/= (a UUID, a random base64 string), in double quotes as the
# draft writes it (an sf-string) or bare as most clients send it; the schema says the same.
KEY_PATTERN = r'^([-A-Za-z0-9._~:+/=]{1,255}|"[-A-Za-z0-9._~:+/=]{1,255}")$'
_KEY = re.compile(KEY_PATTERN)


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = _(
        "This Idempotency-Key was used with another request body. Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


IN_USE = _("A request with this Idempotency-Key is still being processed. Retry in a moment.")


def idempotency_key(raw: str) -> str:
    """The key a header value names, or a 400 naming the header."""
    if _KEY.fullmatch(raw) is None:
        raise exceptions.ValidationError(
            {HEADER: [_("Use a key of 1 to 255 letters, digits or -._~:+/=, e.g. a UUID.")]}
        )
    return raw.strip('"')


def fingerprint(path: str, data) -> str:
    """The same for the same path and the same JSON body, whatever its spacing or key order."""
    canonical = json.dumps([path, data], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_request_begin(*, user, key: str, fingerprint: str) -> tuple[IdempotentRequest, bool]:
    """The key's record, and whether it holds an answer to replay; raises the 422 and the 409.
    Without an answer, the caller holds the key's lease and must finish or abandon it."""
    for _attempt in range(3):  # a record abandoned meanwhile: try to take the key again
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    created_at=now,
                    lease_until=now + LEASE,
                )
            return record, False
        except IntegrityError:
            pass
        with transaction.atomic():
            record = (
                IdempotentRequest.objects.select_for_update().filter(user=user, key=key).first()
            )
            if record is None:
                continue
            if record.created_at <= now - RETENTION:  # expired: the key starts afresh
                record.fingerprint, record.created_at = fingerprint, now
                record.status, record.body, record.location = None, "", ""
            elif record.fingerprint != fingerprint:
                raise KeyReused
            elif record.status is not None:
                return record, True
            elif record.lease_until > now:
                raise Conflict(IN_USE, code="idempotency_key_in_use")
            # Free, or its first request died half-way (its lease ran out): this one takes it.
            record.lease_until = now + LEASE
            record.save()
            return record, False
    raise Conflict(IN_USE, code="idempotency_key_in_use")


def idempotent_request_finish(
    *, record: IdempotentRequest, status: int, data, location: str
) -> None:
    """Store the answer, in the caller's transaction; a 409 (and so a rollback) if this request
    lost its lease to a retry meanwhile."""
    stored = IdempotentRequest.objects.filter(pk=record.pk, lease_until=record.lease_until).update(
        status=status,
        body=JSONRenderer().render(data).decode(),
        location=location,
        lease_until=None,
    )
    if not stored:
        raise Conflict(IN_USE, code="idempotency_key_in_use")


def idempotent_request_abandon(*, record: IdempotentRequest) -> None:
    """Free the key of a request that ended without an answer to keep (a 400, an error)."""
    IdempotentRequest.objects.filter(
        pk=record.pk, lease_until=record.lease_until, status__isnull=True
    ).delete()
