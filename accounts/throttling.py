"""Login throttles: DRF's rate limiting, keyed by client address and by the email tried.

Both use Django's cache, which is Redis when ``REDIS_URL`` is set, so the limit holds across
every worker and machine. The rate is ``LOGIN_THROTTLE_RATE`` (DRF's ``login`` scope).
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle

from accounts.managers import normalize_email_address


class LoginAddressThrottle(SimpleRateThrottle):
    """Limits login attempts per client address."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "login-address", "ident": self.get_ident(request)}


class LoginEmailThrottle(SimpleRateThrottle):
    """Limits login attempts per email address, whichever addresses they come from."""

    scope = "login"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed: cache keys must stay short and free of characters memcached-style caches reject.
        digest = hashlib.sha256(normalize_email_address(email).encode()).hexdigest()
        return self.cache_format % {"scope": "login-email", "ident": digest}
