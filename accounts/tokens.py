"""Access tokens (HS256 JSON Web Tokens) and opaque refresh tokens. The only module using PyJWT.

Settings come from ``settings.JWT`` (see config/settings.py), read once into ``token_settings()``.
The first signing key signs; every configured key verifies, so keys rotate without logging anyone
out. Every claim below is required on decode; ``sid`` names the login session the token belongs
to, which the authentication class checks is live and the token user's
(docs/explanation/sessions-and-revocation.md).

Refresh tokens are not JWTs: ``<session id hex>.<256 random bits>``, stored only as a SHA-256
digest. The session id in front lets the server recognise an old, consumed token of a session
as reuse (docs/explanation/sessions-and-revocation.md); it is no secret, since every
access token carries it too.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from jwt.utils import base64url_decode, base64url_encode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from accounts.models import User

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "email", "iat", "exp", "jti", "sid")
# Longer than any token we issue by far; refusing early bounds the work spent on junk.
MAX_TOKEN_LENGTH = 4096
MAX_USER_ID = 2**63 - 1  # the largest primary key the database column holds
VERIFIED_TOKENS_REMEMBERED = 1024
REFRESH_TOKEN_BYTES = 32  # 256 bits of randomness (RFC 9700 asks for enough to resist guessing)
MAX_REFRESH_TOKEN_LENGTH = 256
_SESSION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SESSION_HEX = re.compile(r"[0-9a-f]{32}")
# Three unpadded base64url segments (RFC 7515 §2); the third, the signature, is checked to be in
# its one canonical spelling, so no other string passes for a token that was issued.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]*)")
TOKEN_TYPE = "JWT"  # noqa: S105 (a header value, not a secret)


@dataclass(frozen=True)
class TokenSettings:
    signing_kid: str
    keys: Mapping[str, str]
    lifetime: int
    issuer: str
    audience: str
    leeway: int
    refresh_lifetime: int
    session_max_age: int
    reuse_grace: int


@functools.cache
def token_settings() -> TokenSettings:
    conf = settings.JWT
    pairs = conf["SIGNING_KEYS"]
    return TokenSettings(
        signing_kid=pairs[0][0],
        keys=MappingProxyType(dict(pairs)),
        lifetime=conf["ACCESS_TOKEN_LIFETIME"],
        issuer=conf["ISSUER"],
        audience=conf["AUDIENCE"],
        leeway=conf["LEEWAY"],
        refresh_lifetime=conf["REFRESH_TOKEN_LIFETIME"],
        session_max_age=conf["SESSION_MAX_AGE"],
        reuse_grace=conf["REFRESH_REUSE_GRACE"],
    )


@receiver(setting_changed)
def _reload_token_settings(*, setting: str, **kwargs) -> None:
    if setting == "JWT":
        token_settings.cache_clear()
        _verified_claims.cache_clear()


class InvalidToken(Exception):
    """A token was refused. ``reason`` (also ``str(exc)``) is a short message, safe to show the
    client, translated lazily: the body of a 401 follows the request's language. ``code`` is
    what the client should do about it: ``token_expired`` (refresh), else ``token_invalid``."""

    @property
    def reason(self) -> str:
        return self.args[0]

    @property
    def code(self) -> str:
        return "token_expired" if self.reason is EXPIRED else "token_invalid"


# The reasons a client may read, one per thing it could fix; the code says what to do next.
EXPIRED = _("The token has expired.")
NOT_YET_VALID = _("The token is not yet valid.")  # the clocks disagree
MALFORMED = _("The token is malformed.")  # not a JWT as this API issues them
# One reason for an unknown kid and a bad signature alike: two would tell a prober which key ids
# exist.
BAD_SIGNATURE = _("The token signature is invalid.")
# Well formed and signed, but not an access token of this API: algorithm, type, issuer,
# audience, a missing or mistyped claim.
INVALID = _("The token is invalid.")
# PyJWT's verdicts, most specific first.
_DECODE_FAILURES = (
    (jwt.ExpiredSignatureError, EXPIRED),
    (jwt.ImmatureSignatureError, NOT_YET_VALID),
    (jwt.InvalidSignatureError, BAD_SIGNATURE),
    (jwt.InvalidTokenError, INVALID),
)


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_in: int


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    email: str
    expires_at: int
    session_id: uuid.UUID


def issue_access_token(user: User, *, session_id: uuid.UUID) -> AccessToken:
    """Sign a token for ``user``'s login session ``session_id`` with the first configured key."""
    conf = token_settings()
    now = int(time.time())
    payload = {
        "iss": conf.issuer,
        "aud": conf.audience,
        "sub": str(user.pk),
        "email": user.email,
        "iat": now,
        "exp": now + conf.lifetime,
        "jti": secrets.token_urlsafe(16),
        "sid": str(session_id),
    }
    value = jwt.encode(
        payload,
        conf.keys[conf.signing_kid],
        algorithm=ALGORITHM,
        headers={"kid": conf.signing_kid, "typ": TOKEN_TYPE},
    )
    return AccessToken(value=value, expires_in=conf.lifetime)


@sensitive_variables("token")
def verify_access_token(token: str) -> TokenClaims:
    """Check signature, algorithm, key id and every claim; raise ``InvalidToken`` if any fails.

    A client sends the same token with every request until it expires, so a token that passed
    the full check is remembered (per process, bounded): later calls only check its expiry.
    Revocation is not affected: it is decided by the token's session (accounts/authentication.py).
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(MALFORMED)
    claims = _verified_claims(token)
    if claims.expires_at + token_settings().leeway < time.time():
        raise InvalidToken(EXPIRED)
    return claims


@functools.lru_cache(maxsize=VERIFIED_TOKENS_REMEMBERED)
@sensitive_variables("token", "conf")
def _verified_claims(token: str) -> TokenClaims:
    """The full check (PyJWT: signature, algorithm, every claim). Failures are never cached."""
    conf = token_settings()
    _check_shape(token)
    header = _unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(INVALID)
    kid = header.get("kid")
    # The kid only ever selects among configured keys; it is never used as a path or query.
    if not isinstance(kid, str) or kid not in conf.keys:
        raise InvalidToken(BAD_SIGNATURE)
    # Explicit typing (RFC 8725 §3.11): a JWT of another kind signed with the same key is refused.
    typ = header.get("typ")
    if not (isinstance(typ, str) and typ.upper() == TOKEN_TYPE):
        raise InvalidToken(INVALID)
    try:
        payload = jwt.decode(
            token,
            conf.keys[kid],
            algorithms=[ALGORITHM],
            issuer=conf.issuer,
            audience=conf.audience,
            leeway=conf.leeway,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.InvalidTokenError as exc:
        reason = next(message for kind, message in _DECODE_FAILURES if isinstance(exc, kind))
        raise InvalidToken(reason) from None
    except RecursionError:  # a payload nested past the stack, which PyJWT lets through
        raise InvalidToken(MALFORMED) from None
    return _claims_from_payload(payload)


def _check_shape(token: str) -> None:
    shape = _TOKEN_SHAPE.fullmatch(token)
    try:
        canonical = shape is not None and (
            base64url_encode(base64url_decode(shape[1])).decode() == shape[1]
        )
    except binascii.Error:  # a length no base64 string has
        canonical = False
    if not canonical:
        raise InvalidToken(MALFORMED)


def _unverified_header(token: str) -> dict:
    """The header, only to pick the key by its kid: ``jwt.decode`` then checks everything.

    Five times cheaper than ``jwt.get_unverified_header``, which decodes every segment.
    A header nested deeper than the decoder's stack (``RecursionError``) is as malformed as any.
    """
    try:
        header = json.loads(base64url_decode(token.partition(".")[0]))
    except (ValueError, binascii.Error, RecursionError):
        raise InvalidToken(MALFORMED) from None
    if not isinstance(header, dict):
        raise InvalidToken(MALFORMED)
    return header


def _claims_from_payload(payload: dict) -> TokenClaims:
    sub, email, jti = payload["sub"], payload["email"], payload["jti"]
    sid = payload["sid"]
    # The user's id as issued: decimal digits with no sign, space or leading zero ("01" is not 1).
    if not (
        isinstance(sub, str)
        and sub.isdecimal()
        and sub == str(int(sub))
        and int(sub) <= MAX_USER_ID
    ):
        raise InvalidToken(INVALID)
    if not isinstance(email, str) or not isinstance(jti, str):
        raise InvalidToken(INVALID)
    if not (isinstance(sid, str) and _SESSION_ID.fullmatch(sid)):
        raise InvalidToken(INVALID)
    # NumericDate (RFC 7519) is a JSON number; PyJWT would also take a string of digits.
    if any(type(payload[claim]) not in (int, float) for claim in ("exp", "iat")):
        raise InvalidToken(INVALID)
    return TokenClaims(
        user_id=int(sub),
        email=email,
        expires_at=int(payload["exp"]),
        session_id=uuid.UUID(sid),
    )


@dataclass(frozen=True)
class RefreshToken:
    value: str
    digest: str  # what the database keeps: the token itself is never stored


def issue_refresh_token(session_id: uuid.UUID) -> RefreshToken:
    """A new single-use refresh token for the session ``session_id``."""
    value = f"{session_id.hex}.{secrets.token_urlsafe(REFRESH_TOKEN_BYTES)}"
    return RefreshToken(value=value, digest=refresh_token_digest(value))


def read_refresh_token(value: str) -> tuple[uuid.UUID, str] | None:
    """The session id and digest of something shaped like our refresh tokens, else ``None``.

    Whether the token is the session's current one is the database's question, not this one's.
    A JWT (an access token) never has this shape, so it can never be used to refresh.
    """
    if len(value) > MAX_REFRESH_TOKEN_LENGTH:
        return None
    session_hex, dot, secret = value.partition(".")
    if not (dot and secret and _SESSION_HEX.fullmatch(session_hex)):
        return None
    return uuid.UUID(hex=session_hex), refresh_token_digest(value)


def refresh_token_digest(value: str) -> str:
    # A plain hash suffices: the token has 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(value.encode()).hexdigest()
