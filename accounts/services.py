"""Writes of the accounts app: obtaining a token by password and revoking a user's tokens."""

import logging

from django.contrib.auth import authenticate
from django.http import HttpRequest

from accounts.models import User
from accounts.tokens import AccessToken, issue_access_token

logger = logging.getLogger(__name__)


def token_obtain(*, request: HttpRequest, email: str, password: str) -> AccessToken | None:
    """A token for the active user with this email and password, else ``None``.

    ``authenticate`` hashes the password even for an unknown email, so a wrong email and a wrong
    password cost the caller the same time and get the same answer.
    """
    user = authenticate(request, email=email, password=password)
    if user is None:
        logger.info("Login failed for %r", email)
        return None
    logger.info("Login succeeded for user %s", user.pk)
    return issue_access_token(user)


def user_tokens_revoke(*, user: User) -> None:
    """Log ``user`` out everywhere: every token issued so far stops working."""
    user.revoke_tokens()
    logger.info("Tokens revoked for user %s", user.pk)
