"""System checks for the token signing keys, run at start-up and by ``manage.py check``."""

from django.conf import settings
from django.core import checks

from common.env import signing_key_problems


@checks.register(checks.Tags.security)
def check_signing_keys(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A weak signing key or a kid named twice (``common.env.signing_key_problems``) is an error
    outside debug, a warning in development. Production settings already refuse both at
    start-up (gunicorn runs no system checks); this also covers settings made otherwise."""
    level = checks.Warning if settings.DEBUG else checks.Error
    return [
        level(
            f"{problem}.",
            hint="Generate a key with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            " and give every key in JWT_SIGNING_KEYS its own kid.",
            id="accounts.E002",
        )
        for problem in signing_key_problems(settings.JWT["SIGNING_KEYS"])
    ]
