"""Bearer-token authentication for DRF (RFC 6750), a sibling of DRF's ``TokenAuthentication``."""

import logging

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import User
from accounts.selectors import session_get_with_user
from accounts.tokens import InvalidToken, TokenClaims, verify_access_token

logger = logging.getLogger(__name__)

# Where authenticate() leaves the reason for authenticate_header(): DRF asks for the header
# through a fresh authenticator instance, so the request is the only place they share.
_FAILURE_ATTR = "_bearer_token_failure"


class JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <token>`` with a token from ``accounts.tokens``.

    Returns ``None`` when the request has no Authorization header, ``(user, claims)`` for a valid,
    unrevoked token of an active user, and raises ``AuthenticationFailed`` otherwise: a header
    that is not exactly ``Bearer <token>``, a token ``verify_access_token`` refuses, one whose
    session is unknown, another user's, ended or expired, or whose user is gone, inactive, or
    changed since it was issued. Whether the user is an admin is the permission class's question
    (403), not this one's (401).
    """

    keyword = "Bearer"
    realm = "api"

    @sensitive_variables("header", "token")
    def authenticate(self, request):
        if "HTTP_AUTHORIZATION" not in request.META:
            return None
        # Exactly the scheme word (in any case, RFC 9110 §11.1), one space and a token with no
        # whitespace: a tab, a second space or an empty header is not "Bearer <token>". (RFC 6750
        # would allow several spaces; the contract, DESIGN.md, says exactly one.)
        scheme, _space, token = get_authorization_header(request).partition(b" ")
        if scheme.lower() != self.keyword.lower().encode() or token.split() != [token]:
            self._fail(request, _("Use the header 'Authorization: Bearer <token>'."))
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            self._fail(request, _("The token is malformed."))
        try:
            claims = verify_access_token(token)
        except InvalidToken as exc:
            self._fail(request, exc.reason)
        return self._user_for(request, claims), claims

    def _user_for(self, request, claims: TokenClaims) -> User:
        # The one database read per request: the session joined to its user, by primary keys.
        # It does not write last_used_at: login and refresh do, so a request costs no write.
        session = session_get_with_user(session_id=claims.session_id)
        if session is None or session.user_id != claims.user_id:
            self._fail(request, _("The token's session is unknown."), claims)
        user = session.user
        if not user.is_active:
            self._fail(request, _("The token's user is unknown or inactive."), claims)
        if user.token_version != claims.version or user.email != claims.email:
            self._fail(request, _("The token has been revoked."), claims)
        if session.ended_at is not None:
            self._fail(request, _("The token's session has ended."), claims)
        if not session.is_live(now=timezone.now()):
            self._fail(request, _("The token's session has expired."), claims)
        return user

    def _fail(self, request, reason: str, claims: TokenClaims | None = None):
        if claims is None:
            logger.warning("Bearer token rejected: %s", reason)
        else:
            logger.warning("Bearer token rejected for user %s: %s", claims.user_id, reason)
        setattr(request, _FAILURE_ATTR, reason)
        raise exceptions.AuthenticationFailed(reason)

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
