"""Languages: what stays English whatever the client's Accept-Language."""

from django.utils import translation

# RFC 6750 §3: error_description is ASCII (%x20-21 / %x23-5B / %x5D-7E), and HTTP header values
# are latin-1 at most, so the challenge is written in the language the project's strings are in.
HEADER_LANGUAGE = "en"


class EnglishAuthenticateHeaderMiddleware:
    """Rewrite a DRF response's ``WWW-Authenticate`` challenge in English.

    The body of a 401 follows ``Accept-Language`` (``{"detail": "El token ha caducado."}``); the
    challenge's ``error_description`` is for the client's developer and must stay ASCII, so the
    view is asked for its header again with English active. Responses that are not DRF's, or
    carry no challenge, pass unchanged.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "WWW-Authenticate" not in response or translation.get_language() == HEADER_LANGUAGE:
            return response
        context = getattr(response, "renderer_context", None) or {}
        view, drf_request = context.get("view"), context.get("request")
        if view is not None and drf_request is not None:
            with translation.override(HEADER_LANGUAGE):
                challenge = view.get_authenticate_header(drf_request)
            if challenge:
                response["WWW-Authenticate"] = challenge
        return response
