"""What Django's error reports (debug pages, error mails) may show: never a secret.

Django's ``SafeExceptionReporterFilter`` hides settings by name, but only while debug is off does
it honour ``sensitive_variables``/``sensitive_post_parameters``, and it shows every other local
variable of every frame as it is. A frame inside token verification holds the signing keys; one
inside login holds the password; many hold the bearer token. ``SecretHidingReporterFilter``
(``DEFAULT_EXCEPTION_REPORTER_FILTER``) is always on, and hides a frame variable when

- its name looks secret (``password``, ``token``, ``key``, ``secret``, ``jwt``, ...), or
- its text contains a secret this process knows: the value of any setting hidden by name (the
  Django secret key, every JWT signing key, database passwords), the credentials of the request's
  ``Authorization`` header, or a JSON body field whose name looks secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter

from common.parsers import json_depth_exceeds

# Django's names, plus the token settings (``JWT``, its ``SIGNING_KEYS``) and URLs that may embed
# a password (``DATABASE_URL``, ``REDIS_URL``, a cache's ``LOCATION``).
HIDDEN_NAMES = re.compile(
    "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE"
    "|JWT|SIGNING|CREDENTIAL|DATABASE_URL|REDIS_URL|LOCATION|DSN",
    flags=re.IGNORECASE,
)
# Shorter strings are not secrets worth the name, and would hide unrelated values.
MIN_SECRET_LENGTH = 8


class SecretHidingReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = HIDDEN_NAMES

    def is_active(self, request) -> bool:
        # Django switches its filter off with debug on: exactly when its pages are shown.
        return True

    def get_post_parameters(self, request):
        """Form fields as Django shows them, and any whose name looks secret hidden too, marked
        with ``sensitive_post_parameters`` or not."""
        parameters = super().get_post_parameters(request)
        if request is None or not parameters:
            return parameters
        cleansed = parameters.copy()
        for name in cleansed:
            if self.hidden_settings.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        secrets = self._known_secrets(request)
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if value is not self.cleansed_substitute and self._is_secret(name, value, secrets):
                value = self.cleansed_substitute
            cleansed.append((name, value))
        return cleansed

    def _is_secret(self, name: str, value: object, secrets: frozenset[str]) -> bool:
        if self.hidden_settings.search(name):
            return True
        try:
            text = repr(value)
        except Exception:  # a broken __repr__ shows nothing rather than risk anything
            return True
        return any(secret in text for secret in secrets)

    def _known_secrets(self, request) -> frozenset[str]:
        found = set(self._hidden_setting_values())
        if request is not None:
            found.update(self._request_secrets(request))
        return frozenset(value for value in found if len(value) >= MIN_SECRET_LENGTH)

    def _hidden_setting_values(self) -> Iterator[str]:
        for name in dir(settings):
            if name.isupper():
                yield from _strings_under(name, getattr(settings, name), self.hidden_settings)

    def _request_secrets(self, request) -> Iterator[str]:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        yield authorization
        yield from authorization.split()
        yield from self._json_body_secrets(request)

    def _json_body_secrets(self, request) -> Iterator[str]:
        """A JSON body's fields named by ``sensitive_post_parameters``, or secret-looking."""
        body = getattr(request, "_body", b"")  # only what was read already; never read here
        if not body or not request.META.get("CONTENT_TYPE", "").startswith("application/json"):
            return
        try:
            text = body.decode()
            data = None if json_depth_exceeds(text) else json.loads(text)
        except ValueError:
            return
        marked = getattr(request, "sensitive_post_parameters", ())
        if marked == "__ALL__" or not isinstance(data, dict):
            yield from _strings_under("", data, self.hidden_settings, hidden_above=bool(marked))
            return
        for name, value in data.items():
            yield from _strings_under(
                name, value, self.hidden_settings, hidden_above=name in marked
            )


def _strings_under(name: str, value: object, hidden, *, hidden_above: bool = False):
    """Every string in ``value`` that sits under a name matching ``hidden`` (at any depth)."""
    is_hidden = hidden_above or bool(name and hidden.search(name))
    if isinstance(value, str):
        if is_hidden:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_under(str(key), item, hidden, hidden_above=is_hidden)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings_under("", item, hidden, hidden_above=is_hidden)
