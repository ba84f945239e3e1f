"""Bearer-token authentication for DRF (RFC 6750), a sibling of DRF's ``TokenAuthentication``."""

import logging

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import User
from accounts.revocation_listener import verified_sessions
from accounts.selectors import session_get_with_user
from accounts.session_memory import VerifiedSession
from accounts.tokens import MALFORMED, InvalidToken, TokenClaims, verify_access_token

logger = logging.getLogger(__name__)

# The token is good but its session or user says no: log in again (a refresh cannot help). One
# reason for every such case (session unknown, another user's, ended or expired, user inactive
# or with a changed email): the client's next step is the same.
REVOKED = "token_revoked"
SESSION_ENDED = _("The token's session has ended.")
# Where authenticate() leaves the reason for authenticate_header(): DRF asks for the header
# through a fresh authenticator instance, so the request is the only place they share.
_FAILURE_ATTR = "_bearer_token_failure"


class JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <token>`` with a token from ``accounts.tokens``.

    Returns ``None`` when the request has no Authorization header or one of another scheme (so
    another authenticator may follow this one), ``(user, claims)`` for a valid, unrevoked token of
    an active user, and raises ``AuthenticationFailed`` otherwise, with a ``code``: a Bearer header
    that is not exactly ``Bearer <token>`` or a token ``verify_access_token`` refuses
    (``token_invalid``, ``token_expired``), one whose session is unknown, another user's, ended
    or expired, or whose user is gone or inactive (``token_revoked``).
    Whether the user is an admin is the permission class's question (403), not this one's (401).

    A session's first request in a worker reads it from the database; later ones find it in the
    worker's memory, which revocations pushed by the database keep true
    (docs/explanation/sessions-and-revocation.md).
    ``request.user`` is a fresh ``User`` each time, its other fields loaded on first use.
    """

    keyword = "Bearer"
    realm = "api"

    @sensitive_variables("header", "words", "token")
    def authenticate(self, request):
        header = get_authorization_header(request)
        # The scheme word, in any case (RFC 9110 §11.1); another scheme (or none) is not ours.
        words = header.split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None
        # Exactly the word, one space and a token with no whitespace: a tab, a second space or
        # trailing whitespace is not "Bearer <token>". (RFC 6750 would allow several spaces;
        # this API takes exactly one: docs/reference/errors.md, token_invalid.)
        scheme, _space, token = header.partition(b" ")
        if scheme.lower() != self.keyword.lower().encode() or token.split() != [token]:
            self._fail(request, _("Use the header 'Authorization: Bearer <token>'."))
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            self._fail(request, MALFORMED)
        try:
            claims = verify_access_token(token)
        except InvalidToken as exc:
            self._fail(request, exc.reason, code=exc.code)
        return self._user_for(request, claims), claims

    def _user_for(self, request, claims: TokenClaims) -> User:
        now = timezone.now()
        memory = verified_sessions()
        session = None if memory is None else memory.recall(claims.session_id, now=now)
        if session is None:
            # The session's first request in this worker (or one the listener cannot vouch for):
            # read it, and remember it unless a revocation came in meanwhile.
            ticket = None if memory is None else memory.ticket()
            session = self._verified_session(request, claims, now)
            if memory is not None:
                memory.remember(session, ticket)
        # Another user's session, or the user's email changed since the token was issued.
        if session.user_id != claims.user_id or session.email != claims.email:
            self._fail(request, SESSION_ENDED, claims, code=REVOKED)
        return _request_user(session)

    def _verified_session(self, request, claims: TokenClaims, now) -> VerifiedSession:
        # One indexed read: the session joined to its user. It does not write last_used_at:
        # login and refresh do, so a request costs no write.
        row = session_get_with_user(session_id=claims.session_id)
        if row is None or not row.user.is_active or not row.is_live(now=now):
            self._fail(request, SESSION_ENDED, claims, code=REVOKED)
        user = row.user
        return VerifiedSession(
            session_id=row.pk,
            user_id=user.pk,
            email=user.email,
            is_staff=user.is_staff,
            is_superuser=user.is_superuser,
            ends_at=row.ends_at(),
        )

    def _fail(
        self,
        request,
        reason: str,
        claims: TokenClaims | None = None,
        *,
        code: str = "token_invalid",
    ):
        if claims is None:
            logger.warning("Bearer token rejected: %s", reason)
        else:
            logger.warning("Bearer token rejected for user %s: %s", claims.user_id, reason)
        setattr(request, _FAILURE_ATTR, reason)
        raise exceptions.AuthenticationFailed(reason, code=code)

    def authenticate_header(self, request) -> str:
        reason = getattr(request, _FAILURE_ATTR, None)
        if reason is None:
            return f'{self.keyword} realm="{self.realm}"'
        # The body follows Accept-Language; the challenge is for machines and stays in the
        # untranslated English messages, printable ASCII as RFC 6750 (§3) requires.
        with translation.override(None):
            description = str(reason)
        return (
            f'{self.keyword} realm="{self.realm}", error="invalid_token", '
            f'error_description="{description}"'
        )


# The user fields a verified session remembers, in the model's order (as Model.from_db takes
# them): worked out once, not on every request.
_REMEMBERED_FIELDS = [
    field.attname
    for field in User._meta.concrete_fields
    if field.attname in {"id", "email", "is_staff", "is_superuser", "is_active"}
]


def _request_user(session: VerifiedSession) -> User:
    """A fresh ``User`` of the remembered values (``Model.from_db``: the rest deferred)."""
    values = {
        "id": session.user_id,
        "email": session.email,
        "is_staff": session.is_staff,
        "is_superuser": session.is_superuser,
        "is_active": True,
    }
    return User.from_db(
        DEFAULT_DB_ALIAS, _REMEMBERED_FIELDS, [values[f] for f in _REMEMBERED_FIELDS]
    )
