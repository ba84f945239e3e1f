"""Languages: keeping what HTTP requires ASCII when a message was translated."""

import unicodedata


def ascii_text(text: str) -> str:
    """``text`` with accents dropped and other non-ASCII characters removed: "está" → "esta"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


class AsciiAuthenticateHeaderMiddleware:
    """Keep the ``WWW-Authenticate`` challenge ASCII whatever the language of the response.

    The body of a 401 follows ``Accept-Language`` (``{"detail": "El token está mal formado."}``)
    and so does the ``error_description`` that the authentication class puts in the challenge;
    RFC 6750 §3 allows only printable ASCII there, and HTTP header values are latin-1 at most.
    A challenge that is not ASCII is written without its accents ("El token esta mal formado.");
    an English one passes unchanged.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        challenge = response.get("WWW-Authenticate")
        if challenge is not None and not challenge.isascii():
            response["WWW-Authenticate"] = ascii_text(challenge)
        return response
