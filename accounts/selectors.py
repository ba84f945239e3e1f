"""Reads of the accounts app."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import CREDENTIAL_FIELDS, LoginSession, User

# What authenticating a request reads, and what the permission and views use of the user; any
# other field of request.user is loaded on first use (the password, when it is changed).
_AUTHENTICATION_FIELDS = (
    "user_id",
    "ended_at",
    "expires_at",
    "idle_expires_at",
    "user__email",
    "user__is_staff",
    "user__is_superuser",
    "user__is_active",
)


def session_get_with_user(*, session_id: uuid.UUID) -> LoginSession | None:
    """The session with this id and its user, or ``None``: one query, by primary key, joined to
    the user by its primary key. A session's first request in a worker makes this read (later
    ones find it in the worker's memory), so it loads only the columns authentication needs."""
    try:
        return (
            LoginSession.objects.select_related("user")
            .only(*_AUTHENTICATION_FIELDS)
            .get(pk=session_id)
        )
    except LoginSession.DoesNotExist:
        return None


def session_get_for_refresh(*, session_id: uuid.UUID) -> LoginSession | None:
    """The session with this id, its whole row (the refresh token digests included), and its
    user, or ``None``: what a refresh compares and then rotates, read in one query."""
    return LoginSession.objects.select_related("user").filter(pk=session_id).first()


def user_sessions_live(*, user: User, now: datetime) -> QuerySet[LoginSession]:
    """``user``'s sessions that have neither ended nor expired, the most recent first."""
    return LoginSession.objects.live(now=now).filter(user=user).order_by("-created_at")


def user_credentials_locked(*, user_id: int) -> dict | None:
    """The user's ``CREDENTIAL_FIELDS``, their row locked until the transaction ends (call it in
    one), or ``None`` when there is no such user."""
    return (
        User._default_manager.select_for_update()
        .filter(pk=user_id)
        .values(*CREDENTIAL_FIELDS)
        .first()
    )
