"""The Bearer authentication class: every way a token can be wrong is a 401 with RFC 6750 header."""

import base64
import hashlib
import hmac
import json
import string
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.helpers import bearer_client, forge_token, login_pair, override_jwt

PROTECTED = "/api/auth/me/"
INVALID = 'Bearer realm="api", error="invalid_token", error_description="'


def assert_invalid_token(response, code: str = "token_invalid") -> str:
    """A 401 with ``code`` whose challenge gives the body's reason; returns the reason. (The
    wording itself is tested once, with its translation, in tests/test_translations.py.)"""
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"detail", "code"}
    assert response["WWW-Authenticate"] == f'{INVALID}{body["detail"]}"'
    return body["detail"]


def with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


@pytest.mark.django_db
def test_valid_admin_token_is_accepted(admin_client, admin_user):
    response = admin_client.get(PROTECTED)
    assert response.status_code == 200
    assert response.json() == {"id": admin_user.pk, "email": admin_user.email, "is_staff": True}


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_scheme_word_is_case_insensitive(admin_token, scheme):
    assert with_header(f"{scheme} {admin_token}").get(PROTECTED).status_code == 200


@pytest.mark.django_db
def test_no_header_is_401_with_a_bare_challenge(api_client):
    response = api_client.get(PROTECTED)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Basic YWRtaW5AZXhhbXBsZS5jb206cGFzc3dvcmQ=",
        "Token abc",
        "",
        "   ",
        "Bearer:abc",
        "Basic {token}",
        "Token {token}",
        "JWT {token}",
        "Bearer: {token}",
    ],
    ids=[
        "basic",
        "other-scheme",
        "empty",
        "blank",
        "bearer-colon",
        "token-as-basic",
        "token-as-token",
        "token-as-jwt",
        "token-as-bearer-colon",
    ],
)
def test_another_scheme_or_none_is_no_credentials(admin_token, header):
    # Not ours, even around a valid token: DRF's other authenticators, if any, may follow; none
    # here, so "no credentials".
    response = with_header(header.format(token=admin_token)).get(PROTECTED)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer a.b.c d.e.f",
        "Bearer garbage",
        "Bearer " + "a" * 10_000,
        "Bearer ...",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30",
    ],
    ids=[
        "bearer-no-token",
        "bearer-blank",
        "two-tokens",
        "garbage",
        "10kB",
        "dots",
        "two-segments",
    ],
)
def test_malformed_authorization_header_is_401(header):
    assert_invalid_token(with_header(header).get(PROTECTED))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spacing",
    [
        "Bearer\t{}",
        "Bearer  {}",
        "Bearer {} ",
        "Bearer {}\t",
        "Bearer\x0b{}",
        "Bearer\x0c{}",
        " Bearer {}",
    ],
    ids=[
        "tab",
        "two-spaces",
        "trailing-space",
        "trailing-tab",
        "vertical-tab",
        "form-feed",
        "leading",
    ],
)
def test_a_valid_token_is_refused_unless_one_space_follows_the_scheme(admin_token, spacing):
    # Exactly "Bearer <token>". RFC 6750 §2.1 never allows a tab or other whitespace there; it
    # would allow more spaces, which this API's "exactly" does not.
    assert_invalid_token(with_header(spacing.format(admin_token)).get(PROTECTED))


@pytest.mark.django_db
def test_two_tokens_are_refused_even_if_both_are_valid(admin_token):
    response = with_header(f"Bearer {admin_token} {admin_token}").get(PROTECTED)
    assert_invalid_token(response)


@pytest.mark.django_db
def test_non_ascii_token_bytes_are_refused():
    client = APIClient()
    response = client.get(PROTECTED, HTTP_AUTHORIZATION="Bearer tökén")
    assert_invalid_token(response)


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _signed_by_hand(header: dict, user) -> str:
    """A valid token of ``user`` with ``header`` as given, signed with the first configured key:
    for headers PyJWT would not write."""
    _, payload, _ = _segments(forge_token(user))
    signing_input = f"{_b64(header)}.{payload}"
    key = django_settings.JWT["SIGNING_KEYS"][0][1].encode()
    digest = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def _alg_none(admin, regular):
    _, payload, _ = _segments(forge_token(admin))
    return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'dev'})}.{payload}."


def _altered_payload(admin, regular):
    header, _, signature = _segments(forge_token(regular))
    return f"{header}.{_segments(forge_token(admin))[1]}.{signature}"


def _stripped_signature(admin, regular):
    header, payload, _ = _segments(forge_token(admin))
    return f"{header}.{payload}."


def _from_the_future(claim):
    def forge(admin, regular):
        future = int(time.time()) + 3600
        return forge_token(admin, **{claim: future, "exp": future + 600})

    return forge


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forge",
    [
        _alg_none,
        lambda admin, regular: forge_token(admin, algorithm="HS512"),  # the right key
        lambda admin, regular: forge_token(admin, key="an-attacker-chosen-key-of-plenty-of-bytes"),
        _altered_payload,
        _stripped_signature,
        _from_the_future("iat"),  # beyond the leeway
        _from_the_future("nbf"),
        lambda admin, regular: forge_token(admin, iss="someone-else"),
        lambda admin, regular: forge_token(admin, aud="another-api"),
    ],
    ids=[
        "alg-none",
        "hs512",
        "another-key",
        "altered-payload",
        "stripped-signature",
        "iat-in-the-future",
        "nbf-in-the-future",
        "another-issuer",
        "another-audience",
    ],
)
def test_a_forged_or_foreign_token_is_refused(admin_user, regular_user, forge):
    token = forge(admin_user, regular_user)
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
def test_expired_token_is_refused(admin_user):
    now = int(time.time())
    token = forge_token(admin_user, iat=now - 7200, exp=now - 3600)
    assert_invalid_token(bearer_client(token).get(PROTECTED), "token_expired")


@pytest.mark.django_db
def test_token_expired_within_leeway_is_still_accepted(admin_user, settings):
    now = int(time.time())
    token = forge_token(admin_user, iat=now - 100, exp=now - settings.JWT["LEEWAY"] // 2)
    assert bearer_client(token).get(PROTECTED).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "email", "iat", "exp", "jti", "sid"])
def test_each_required_claim_missing_is_refused(admin_user, claim):
    token = forge_token(admin_user, drop=(claim,))
    response = bearer_client(token).get(PROTECTED)
    assert_invalid_token(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": 1},  # PyJWT itself requires a string
        {"sub": "-1"},
        {"sub": ""},
        {"sub": "99999999999999999999999"},
        # U+0661 ARABIC-INDIC DIGIT ONE: str.isdigit() and int() take it for the user 1.
        {"sub": "\u0661"},
        {"sub": str(2**63)},
        # U+00B2 SUPERSCRIPT TWO: str.isdigit() takes it, int() does not.
        {"sub": "\u00b2"},
        {"sub": "+1"},
        {"sub": " 1"},
        {"sub": "1_0"},
        {"email": ["admin@example.com"]},
        {"email": 7},
        {"jti": 7},  # PyJWT itself requires a string
        {"sid": 7},
        {"sid": "not-a-session-id"},
        {"sid": "00000000-0000-4000-8000-000000000000\n"},
    ],
    ids=[
        "int-sub",
        "negative-sub",
        "empty-sub",
        "huge-sub",
        "arabic-indic-sub",
        "sub-past-the-largest-id",
        "superscript-sub",
        "plus-sub",
        "space-sub",
        "underscore-sub",
        "list-email",
        "int-email",
        "int-jti",
        "int-sid",
        "text-sid",
        "sid-with-newline",
    ],
)
def test_claims_of_the_wrong_type_are_refused(admin_user, claims):
    token = forge_token(admin_user, **claims)
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
def test_largest_user_id_is_a_valid_subject(admin_user):
    # One past it is refused as a subject (above); the largest id itself gets past that check
    # and is refused only because the session belongs to someone else.
    token = forge_token(admin_user, sub=str(2**63 - 1))
    assert_invalid_token(bearer_client(token).get(PROTECTED), "token_revoked")


def _token_of_length(user, length: int) -> str:
    """A valid token of ``user``, its jti (and a header field) padded to exactly ``length``
    characters: unpadded base64 has no length of 4k+1, so one segment alone cannot hit them all."""
    sid = str(login_pair(user).session_id)
    # Each jti character adds 4/3 of a character to the token: start just short of the length.
    start = max(0, (length - len(forge_token(user, sid=sid, jti=""))) * 3 // 4 - 20)
    for header_padding in range(4):
        for jti_length in range(start, length):
            headers = {"pad": "h" * header_padding}
            token = forge_token(user, sid=sid, headers=headers, jti="j" * jti_length)
            if len(token) == length:
                return token
            if len(token) > length:
                break
    raise AssertionError(f"no token of {length} characters")


@pytest.mark.django_db
def test_token_of_the_largest_length_is_accepted_and_one_more_is_refused(admin_user):
    # docs/explanation/security-model.md: the literal limit, so that a changed constant fails here.
    longest = _token_of_length(admin_user, 4096)
    assert bearer_client(longest).get(PROTECTED).status_code == 200
    too_long = _token_of_length(admin_user, 4097)
    assert_invalid_token(bearer_client(too_long).get(PROTECTED))


@pytest.mark.django_db
@pytest.mark.parametrize("header", [[], ["kid", "dev"], "dev", 7, None])
def test_header_that_is_not_an_object_is_malformed(admin_user, header):
    _, payload, signature = _segments(forge_token(admin_user))
    token = f"{_b64(header)}.{payload}.{signature}"
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
@pytest.mark.parametrize("kid", ["unknown", "../../etc/passwd", "", "dev\u0000"])
def test_unknown_kid_is_refused_with_the_bad_signature_message(admin_user, kid):
    # One message for both: a different one would tell a prober which key ids exist.
    token = forge_token(admin_user, headers={"kid": kid})
    bad_signature = forge_token(admin_user, key="an-attacker-chosen-key-of-plenty-of-bytes")
    assert assert_invalid_token(bearer_client(token).get(PROTECTED)) == assert_invalid_token(
        bearer_client(bad_signature).get(PROTECTED)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kid", [None, 7, ["dev"]])
def test_kid_that_is_not_a_string_is_refused(admin_user, kid):
    # PyJWT will not encode such a header, so sign it by hand with the real key.
    token = _signed_by_hand({"alg": "HS256", "typ": "JWT", "kid": kid}, admin_user)
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
def test_token_of_an_active_non_admin_is_403_on_the_catalog_only(regular_user):
    client = bearer_client(forge_token(regular_user))
    response = client.get("/api/movies/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_admin"
    assert "WWW-Authenticate" not in response
    me = client.get("/api/auth/me/")  # their own account
    assert (me.status_code, me.json()["email"]) == (200, regular_user.email)


@pytest.mark.django_db
def test_token_is_never_echoed_in_the_response(admin_user):
    token = forge_token(admin_user, aud="another-api")
    response = bearer_client(token).get(PROTECTED)
    assert token not in response.content.decode()
    assert token not in str(response.headers)


@pytest.mark.django_db
def test_token_accepted_earlier_is_refused_once_it_expires(admin_user, settings):
    override_jwt(settings, LEEWAY=0)
    with time_machine.travel(datetime(2030, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
        token = forge_token(admin_user, exp=int(time.time()) + 3)
        assert bearer_client(token).get(PROTECTED).status_code == 200
        clock.shift(3)
        assert bearer_client(token).get(PROTECTED).status_code == 200
        clock.shift(1)
        assert_invalid_token(bearer_client(token).get(PROTECTED), "token_expired")


@pytest.mark.django_db
@pytest.mark.parametrize(("claim", "offset"), [("exp", 600), ("iat", -60)])
def test_dates_that_are_not_numbers_are_refused(admin_user, claim, offset):
    token = forge_token(admin_user, **{claim: str(int(time.time()) + offset)})
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
def test_a_subject_with_a_leading_zero_is_not_that_user(admin_user):
    token = forge_token(admin_user, sub=f"0{admin_user.pk}")
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
@pytest.mark.parametrize("typ", ["jwt", "JWT"])
def test_the_jwt_type_is_accepted_in_any_case(admin_user, typ):
    token = forge_token(admin_user, headers={"typ": typ})
    assert bearer_client(token).get(PROTECTED).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("typ", [None, "at+jwt", "JOSE", ["JWT"], 1])
def test_a_token_of_another_type_is_refused(admin_user, typ):
    header = {"alg": "HS256", "kid": django_settings.JWT["SIGNING_KEYS"][0][0]}
    if typ is not None:
        header["typ"] = typ
    token = _signed_by_hand(header, admin_user)
    assert_invalid_token(bearer_client(token).get(PROTECTED))


@pytest.mark.django_db
def test_only_the_issued_spelling_of_a_signature_is_accepted(admin_user):
    token = forge_token(admin_user)
    assert bearer_client(token).get(PROTECTED).status_code == 200
    # A 32-byte signature is 43 base64url characters; the last one's two low bits are unused,
    # so flipping one spells the same bytes differently. Padding is no part of a JWT either.
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    respelled = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert base64.urlsafe_b64decode(respelled.rpartition(".")[2] + "=") == (
        base64.urlsafe_b64decode(token.rpartition(".")[2] + "=")
    )
    # A signature of one character is no base64 at all.
    unreadable = token.rpartition(".")[0] + ".A"
    for variant in (respelled, token + "=", token + "==", unreadable):
        assert_invalid_token(bearer_client(variant).get(PROTECTED))


@pytest.mark.django_db
def test_a_token_naming_another_email_than_its_users_is_refused(admin_user):
    # Signed with the right key for a live session of the user, but not as issued to them.
    token = forge_token(admin_user, email="someone.else@example.com")
    assert_invalid_token(bearer_client(token).get(PROTECTED), "token_revoked")
