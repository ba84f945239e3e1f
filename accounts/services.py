"""Writes of the accounts app: logging in, refreshing, and ending sessions.

Every session the application ends, it ends in ``sessions_end`` (through ``session_end`` or
``user_sessions_end``): logout, logout everywhere, ending one session from the list, a password
change, refresh-token reuse and the Django admin's action. A change of a user's credentials,
however written, ends their sessions in the database itself (a trigger, migration 0003).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import BaseThrottle

from accounts.models import (
    USER_AGENT_LENGTH,
    ConsumedRefreshToken,
    CredentialChangeExemption,
    EndReason,
    LoginSession,
    User,
)
from accounts.revocation_listener import revocation_announced
from accounts.selectors import session_get_for_refresh, user_credentials_locked
from accounts.tokens import (
    AccessToken,
    RefreshToken,
    issue_access_token,
    issue_refresh_token,
    read_refresh_token,
    token_settings,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    """What login and refresh answer: an access token and the session's next refresh token."""

    session_id: uuid.UUID
    email: str
    access: AccessToken
    refresh: RefreshToken
    refresh_expires_in: int


class RefreshRefused(Exception):
    """A refresh token was refused. ``str(exc)`` is a short reason, safe to show the client."""


class SessionEnded(Exception):
    """A password change found its caller's session ended meanwhile (a reset, a logout)."""


class CurrentPasswordChanged(Exception):
    """The password checked is no longer the current one (another change committed first)."""


class LoginConflict(Exception):
    """A login's credentials changed while they were checked: not a wrong password."""


# One answer for every refused refresh (unknown, ended, expired, consumed, a wrong secret): the
# client's next step is the same (log in), and a prober learns nothing about a session.
REFRESH_INVALID = _("The refresh token is not valid; log in again.")


def token_obtain(*, request: HttpRequest, email: str, password: str) -> TokenPair | None:
    """A new session and its tokens for the active user with this email and password, else
    ``None``; ``LoginConflict`` if the user's credentials changed while they were checked.

    ``authenticate`` hashes the password even for an unknown email, so a wrong email and a wrong
    password cost the caller the same time and get the same answer.
    """
    user = authenticate(request, email=email, password=password)
    if user is None:
        logger.info("Login failed for %r", email)
        return None
    with transaction.atomic():
        if not _credentials_still_those_checked(user, password):
            # The password (or email, or access) changed while it was being checked: that change
            # ended every session, and would have ended this one.
            logger.info("Login failed for %r: its credentials changed meanwhile", email)
            raise LoginConflict
        pair = session_start(user=user, request=request)
    logger.info("Login succeeded for user %s", user.pk)
    return pair


def _credentials_still_those_checked(user: User, password: str) -> bool:
    """Whether ``user``'s row still holds what ``authenticate`` checked: the same email and
    access, and a hash of the same password (another login may have re-hashed it meanwhile).

    The row stays locked until the new session is committed: a change committed meanwhile is seen
    here, and one that comes later waits, then ends the new session with every other one. Locked
    before the session is written (whose foreign key takes a share lock on the same row), so two
    logins of one user queue rather than deadlock. SQLite, for development only, has no row
    locks: there a change could still slip between this read and the session's insert.
    """
    current = user_credentials_locked(user_id=user.pk)
    if current is None:
        return False
    stored_hash = current.pop("password")
    return all(getattr(user, name) == value for name, value in current.items()) and (
        stored_hash == user.password or check_password(password, stored_hash)
    )


def user_password_check(*, user: User, raw_password: str) -> bool:
    """Django's password check; an outdated hash of the right password is re-hashed with the
    first hasher, written as a re-hash, which ends no session. The re-hash replaces only the hash
    it was checked against: a password changed meanwhile is never reverted by it."""

    def rehash(raw: str) -> None:
        new_hash = make_password(raw)
        if _password_write(user=user, new_hash=new_hash, replaces=user.password, keep=None):
            user.password = new_hash

    return check_password(raw_password, user.password, rehash)


def _password_write(*, user: User, new_hash: str, replaces: str, keep: uuid.UUID | None) -> bool:
    """Write ``new_hash`` over ``replaces``, the hash that was checked; nothing when the stored
    one is another by now. Whether it was written.

    The database ends the user's sessions on a new hash (a trigger). The exemption, seen only
    inside this transaction, tells it which session the change keeps (``keep``), or, with
    ``keep=None``, that this is a re-hash of the same password, which keeps them all.
    """
    with transaction.atomic():
        CredentialChangeExemption.objects.create(
            user=user, rehash=keep is None, keep_session_id=keep
        )
        written = User._default_manager.filter(pk=user.pk, password=replaces).update(
            password=new_hash
        )
        CredentialChangeExemption.objects.filter(user=user).delete()
    return written == 1


def session_start(*, user: User, request: HttpRequest | None = None) -> TokenPair:
    """Start a login session for ``user`` and return its first pair of tokens."""
    conf = token_settings()
    now = timezone.now()
    session_id = uuid.uuid4()
    refresh = issue_refresh_token(session_id)
    session = LoginSession.objects.create(
        id=session_id,
        user=user,
        created_at=now,
        last_used_at=now,
        idle_expires_at=now + timedelta(seconds=conf.refresh_lifetime),
        expires_at=now + timedelta(seconds=conf.session_max_age),
        user_agent=_user_agent(request),
        ip_address=_client_address(request),
        refresh_token_hash=refresh.digest,
    )
    return _token_pair(user=user, session=session, refresh=refresh, now=now)


def session_refresh(*, refresh_token: str) -> TokenPair:
    """Consume ``refresh_token`` and return the session's next pair; raise ``RefreshRefused``.

    The database decides between concurrent refreshes of one token: the conditional UPDATE
    matches the current digest, so exactly one of them rotates it, and records the digest it
    consumed. The previous token presented again within ``JWT_REFRESH_REUSE_GRACE`` seconds (two
    tabs refreshing at once) is refused without consequence; any other consumed token of the
    session is theft (RFC 9700 §4.14.2) and ends the session. A secret that was never valid is
    refused and changes nothing: the session id alone (in every access token) ends nothing.
    """
    parsed = read_refresh_token(refresh_token)
    if parsed is None:
        raise RefreshRefused(REFRESH_INVALID)
    session_id, digest = parsed
    conf = token_settings()
    now = timezone.now()
    session = session_get_for_refresh(session_id=session_id)
    if session is None:
        raise RefreshRefused(REFRESH_INVALID)
    if not session.is_live(now=now):  # a deactivated user's sessions have ended
        raise RefreshRefused(REFRESH_INVALID)
    if hmac.compare_digest(digest, session.refresh_token_hash):
        refresh = issue_refresh_token(session_id)
        idle_expires_at = now + timedelta(seconds=conf.refresh_lifetime)
        with transaction.atomic():
            rotated = (
                # The digest is unique, and covers the session id: it alone names the row.
                LoginSession.objects.live(now=now)
                .filter(refresh_token_hash=digest)
                .update(
                    refresh_token_hash=refresh.digest,
                    previous_refresh_token_hash=digest,
                    rotated_at=now,
                    last_used_at=now,
                    idle_expires_at=idle_expires_at,
                )
            )
            if rotated == 1:
                ConsumedRefreshToken.objects.create(session=session, digest=digest, consumed_at=now)
        if rotated != 1:  # another request consumed it first (two tabs), or ended the session
            raise RefreshRefused(REFRESH_INVALID)
        session.idle_expires_at = idle_expires_at
        return _token_pair(user=session.user, session=session, refresh=refresh, now=now)
    # The digest covers the session id: it alone names the token, and so its session.
    if not ConsumedRefreshToken.objects.filter(digest=digest).exists():
        raise RefreshRefused(REFRESH_INVALID)  # never valid: a guess, not a reuse
    if (
        hmac.compare_digest(digest, session.previous_refresh_token_hash)
        and session.rotated_at is not None
        and now - session.rotated_at <= timedelta(seconds=conf.reuse_grace)
    ):
        raise RefreshRefused(REFRESH_INVALID)
    session_end(session_id=session.pk, reason=EndReason.REFRESH_REUSE)
    logger.warning(
        "Refresh token reuse for session %s of user %s: session ended", session.pk, session.user_id
    )
    raise RefreshRefused(REFRESH_INVALID)


def sessions_end(*, sessions: QuerySet[LoginSession], reason: EndReason) -> int:
    """End every live session in ``sessions``: their access and refresh tokens fail at once.

    The one place the application ends sessions. Returns how many were still running. Answers
    once every worker has applied it (bounded: ``revocation_announced``).
    """
    with transaction.atomic():
        live = sessions.filter(ended_at__isnull=True)
        users = set(live.values_list("user_id", flat=True))
        ended = live.update(ended_at=timezone.now(), end_reason=reason)
        if ended:
            revocation_announced(users)
    if ended:
        logger.info("%s session(s) ended (%s)", ended, reason)
    return ended


def session_end(*, session_id: uuid.UUID, reason: EndReason) -> None:
    """End one session, unless it has already ended or does not exist."""
    sessions_end(sessions=LoginSession.objects.filter(pk=session_id), reason=reason)


def user_sessions_end(*, user: User, reason: EndReason, keep: uuid.UUID | None = None) -> int:
    """End every session of ``user`` but ``keep``."""
    sessions = LoginSession.objects.filter(user_id=user.pk)
    if keep is not None:
        sessions = sessions.exclude(pk=keep)
    return sessions_end(sessions=sessions, reason=reason)


def user_password_change(
    *, user: User, current_password: str, new_password: str, keep: uuid.UUID
) -> None:
    """Set ``user``'s password and end every session of theirs but ``keep`` (the caller's).

    ``current_password`` was checked against ``user.password`` before; under the user's row lock
    this checks again that it still holds, so that a change committed meanwhile (an
    administrator's reset, a double submit) is never overwritten: ``SessionEnded`` or
    ``CurrentPasswordChanged``, and nothing changes. A re-hash of the same password meanwhile
    (another login) is no change.
    """
    with transaction.atomic():
        stored = user_credentials_locked(user_id=user.pk)  # a concurrent change waits, or is seen
        if stored is None or not LoginSession.objects.live(now=timezone.now()).filter(pk=keep):
            raise SessionEnded
        if stored["password"] != user.password and not check_password(
            current_password, stored["password"]
        ):
            raise CurrentPasswordChanged
        user_sessions_end(user=user, reason=EndReason.PASSWORD_CHANGE, keep=keep)
        _password_write(
            user=user, new_hash=make_password(new_password), replaces=stored["password"], keep=keep
        )
    # What AbstractBaseUser.save() would have done: tell the validators (e.g. password history).
    password_validation.password_changed(new_password, user)
    logger.info("Password changed for user %s", user.pk)


def _token_pair(
    *, user: User, session: LoginSession, refresh: RefreshToken, now: datetime
) -> TokenPair:
    return TokenPair(
        session_id=session.pk,
        email=user.email,
        access=issue_access_token(user, session_id=session.pk),
        refresh=refresh,
        # Whole seconds, rounded up: a session gets a pair only while it is live at ``now``, so
        # this is at least 1 however little time it has left.
        refresh_expires_in=math.ceil((session.ends_at() - now).total_seconds()),
    )


def _user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    # PostgreSQL text holds no NUL character; the rest is kept as sent, truncated.
    return request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:USER_AGENT_LENGTH]


def _client_address(request: HttpRequest | None) -> str | None:
    """The client address as the throttles see it (``NUM_PROXIES`` honoured), if it is one."""
    if request is None:
        return None
    try:
        address = ipaddress.ip_address(BaseThrottle().get_ident(request))
    except ValueError:
        return None
    # A zone index (fe80::1%eth0, from a forged X-Forwarded-For) is no address the column takes.
    return None if getattr(address, "scope_id", None) else str(address)
