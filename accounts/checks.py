"""System checks for the token signing keys, run at start-up and by ``manage.py check``."""

from django.conf import settings
from django.core import checks

from common.env import repeated_kids, secret_weakness


@checks.register(checks.Tags.security)
def check_signing_keys(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A weak signing key (``common.env.secret_weakness``) or a kid named twice is an error outside
    debug. Production settings already refuse both at start-up; this also covers settings made
    otherwise (tests, a settings module of one's own) and warns in development."""
    level = checks.Warning if settings.DEBUG else checks.Error
    keys = settings.JWT["SIGNING_KEYS"]
    messages = []
    for kid, secret in keys:
        weakness = secret_weakness(secret)
        if weakness is not None:
            messages.append(
                level(
                    f"JWT signing key {kid!r} {weakness}.",
                    hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'",  # noqa: E501
                    id="accounts.E002",
                )
            )
    for kid, count in repeated_kids(keys).items():
        messages.append(
            level(
                f"JWT signing key id {kid!r} is used {count} times.",
                hint="Give every key in JWT_SIGNING_KEYS its own kid.",
                id="accounts.E003",
            )
        )
    return messages
