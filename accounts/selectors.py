"""Reads of the accounts app."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import LoginSession, User


def session_get_with_user(*, session_id: uuid.UUID) -> LoginSession | None:
    """The session with this id and its user, or ``None``: one query, by primary key, joined to
    the user by its primary key. Every authenticated request makes this read."""
    try:
        return LoginSession.objects.select_related("user").get(pk=session_id)
    except LoginSession.DoesNotExist:
        return None


def user_sessions_live(*, user: User, now: datetime) -> QuerySet[LoginSession]:
    """``user``'s sessions that have neither ended nor expired, the most recent first."""
    return LoginSession.objects.live(now=now).filter(user=user).order_by("-created_at")
