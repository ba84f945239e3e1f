"""No input yields a 5xx: property-based requests to every operation, with bodies, query strings,
path ids and Authorization headers drawn from what attackers and broken clients send (deep
nesting, huge and odd numbers, wrong types, NUL characters, other scripts' digits, empty list
terms, fake tokens). Every answer is below 500 and JSON; every 401 says how to authenticate.

The project's hypothesis profile (tests/conftest.py) fixes the seed; ``max_examples`` bounds the
time (the module takes well under a minute).
"""

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import LIST_PARAMETERS, PASSWORD, access_token_for, forge_token

EXAMPLES = 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The database and the users are the test's, shared by its examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MOVIE_FIELDS = ("title", "overview", "year", "rating", "category")

# --- Strategies ---------------------------------------------------------------------------------

other_digits = st.text(
    st.characters(categories=["Nd"], exclude_characters="0123456789"), min_size=1, max_size=6
)
numeric_strings = st.from_regex(r"\A[-+]?[0-9]{0,40}(\.[0-9]{0,40})?([eE][-+]?[0-9]{1,7})?\Z")
odd_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # NaN and infinities too: json.dumps writes them as NaN / Infinity
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    numeric_strings,
    st.sampled_from(["NaN", "-Infinity", "1e100000", "-1e100000", "1e-100000", "sNaN", "0x10"]),
    other_digits,
)
odd_text = st.one_of(
    st.text(max_size=30),
    st.text(st.sampled_from("\x00\u202e\ufeff\ud7ff a,-\"'\\[]{}"), max_size=30),
    st.integers(min_value=190, max_value=2100).map(lambda n: "x" * n),
)
json_scalars = st.one_of(st.none(), st.booleans(), odd_numbers, odd_text)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
movie_like = st.fixed_dictionaries(
    {}, optional={field: st.one_of(json_values, odd_numbers, odd_text) for field in MOVIE_FIELDS}
)
login_like = st.fixed_dictionaries(
    {}, optional={"email": st.one_of(st.emails(), json_values), "password": json_values}
)
deep_nesting = st.builds(
    lambda depth, opening, key: (
        f'{{"{key}": ' + opening * depth + ("]" if opening == "[" else "}") * depth + "}"
    ),
    st.integers(min_value=30, max_value=20_000),
    st.sampled_from(["[", '{"a":']),
    st.sampled_from([*MOVIE_FIELDS, "email", "password"]),
).map(lambda text: text.replace('{"a":}', '{"a":0}'))
bodies = st.one_of(
    st.one_of(movie_like, login_like, json_values).map(json.dumps),
    deep_nesting,
    st.text(max_size=60),
    st.binary(max_size=60),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json",
        "application/json; charset=utf-16",
        "application/json; charset=bz2_codec",
        "application/json; charset=no-such-codec",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ]
)
ordering_values = st.lists(
    st.sampled_from(["title", "-year", "rating", "-created_at", "", "-", "--title", "id", "x"]),
    min_size=1,
    max_size=4,
).map(",".join)
search_values = st.one_of(
    st.text(max_size=40),
    st.lists(st.text("ab \x00,\"'", max_size=3), max_size=40).map(" ".join),
    # SQLite refuses a query of ~1000 terms ("Expression tree is too large").
    st.integers(min_value=0, max_value=1_500).map(lambda n: " ".join(["x"] * n)),
)
integer_values = st.one_of(numeric_strings, other_digits, st.integers().map(str))
query_pairs = st.one_of(
    st.tuples(st.just("ordering"), ordering_values),
    st.tuples(st.just("search"), search_values),
    st.tuples(
        st.sampled_from(["year", "year_min", "year_max", "page", "page_size", "rating_min"]),
        integer_values,
    ),
    st.tuples(st.sampled_from(LIST_PARAMETERS), st.text(max_size=20)),
)
query_strings = st.lists(query_pairs, min_size=1, max_size=5).map(urlencode)
path_ids = st.one_of(
    st.text(min_size=1, max_size=24),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    other_digits,
    numeric_strings.filter(bool),
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fake_jwt(header: object, payload: object, signature: bytes) -> str:
    segments = (json.dumps(header).encode(), json.dumps(payload).encode(), signature)
    return ".".join(b64url(segment) for segment in segments)


claim_values = st.one_of(json_values, odd_numbers, st.integers(min_value=0, max_value=2**64))
fake_headers = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.one_of(st.sampled_from(["HS256", "none", "RS256", "HS512"]), json_values),
        "kid": st.one_of(st.sampled_from(["dev", "", "../etc/passwd"]), json_values),
        "typ": json_values,
    },
)
fake_payloads = st.dictionaries(
    st.sampled_from(["iss", "aud", "sub", "email", "iat", "exp", "nbf", "jti", "sid", "x"]),
    claim_values,
    max_size=9,
)
# What a server can hand Django: header bytes read as Latin-1, no line breaks.
header_text = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=60)
authorization_headers = st.one_of(
    header_text,
    header_text.map(lambda token: f"Bearer {token}"),
    st.builds(
        fake_jwt, st.one_of(fake_headers, json_values), json_values, st.binary(max_size=40)
    ).map(lambda token: f"Bearer {token}"),
    st.builds(lambda depth: "Bearer " + b64url(b"[" * depth) + ".e30.c2ln", st.integers(1, 3000)),
)


# --- Checks ------------------------------------------------------------------------------------


def assert_answered(response) -> None:
    """Below 500, a JSON body (none for 204), and a 401 says how to authenticate."""
    request = response.wsgi_request
    where = f"{request.method} {request.get_full_path()}"
    assert response.status_code < 500, (where, response.content[:500])
    if response.status_code != 204:
        assert response["Content-Type"] == "application/json", (where, response.content[:200])
        json.loads(response.content)
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith('Bearer realm="api"'), where


@pytest.fixture
def fresh_token(admin_user):
    """A valid admin token for each example: logging out in one must not blind the next."""

    def make() -> str:
        admin_user.refresh_from_db()
        return access_token_for(admin_user)

    return make


@pytest.fixture
def a_movie(make_movie):
    return make_movie(title="Avatar", year=2009)


# --- Properties --------------------------------------------------------------------------------


@pytest.mark.django_db
@FUZZ
@given(
    operation=st.sampled_from(["login", "create", "replace", "change", "logout"]),
    body=bodies,
    content_type=content_types,
    address=st.ip_addresses(v=4).map(str),
)
def test_any_body_to_any_operation_is_answered(
    client, a_movie, fresh_token, operation, body, content_type, address
):
    method, path = {
        "login": ("post", "/api/auth/login/"),
        "create": ("post", "/api/movies/"),
        "replace": ("put", f"/api/movies/{a_movie.pk}/"),
        "change": ("patch", f"/api/movies/{a_movie.pk}/"),
        "logout": ("post", "/api/auth/logout/"),
    }[operation]
    headers = {} if operation == "login" else {"HTTP_AUTHORIZATION": f"Bearer {fresh_token()}"}
    # generic() sends the bytes as they are, whatever charset the content type names.
    raw = body if isinstance(body, bytes) else body.encode()
    response = client.generic(
        method.upper(), path, raw, content_type=content_type, REMOTE_ADDR=address, **headers
    )
    assert_answered(response)


@pytest.mark.django_db
@FUZZ
@given(query=query_strings)
def test_any_query_string_on_the_list_is_answered(client, a_movie, fresh_token, query):
    response = client.get(f"/api/movies/?{query}", HTTP_AUTHORIZATION=f"Bearer {fresh_token()}")
    assert_answered(response)


@pytest.mark.django_db
@FUZZ
@given(
    movie_id=path_ids,
    method=st.sampled_from(["GET", "PUT", "PATCH", "DELETE"]),
    body=st.one_of(movie_like.map(json.dumps), deep_nesting),
)
def test_any_movie_id_is_answered(client, a_movie, fresh_token, movie_id, method, body):
    path = f"/api/movies/{quote(movie_id, safe='')}/"
    response = client.generic(
        method,
        path,
        body.encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {fresh_token()}",
    )
    assert_answered(response)
    if not (movie_id.isascii() and movie_id.isdigit()):
        assert response.status_code == 404, movie_id


@pytest.mark.django_db
@FUZZ
@given(
    path=st.sampled_from(["/api/movies/", "/api/auth/me/", "/api/auth/logout/"]),
    authorization=authorization_headers,
)
def test_any_authorization_header_is_answered(client, admin_user, path, authorization):
    response = client.get(path, HTTP_AUTHORIZATION=authorization)
    assert_answered(response)
    assert response.status_code in (401, 403, 405), authorization


@pytest.mark.django_db
@FUZZ
@given(header=st.one_of(fake_headers, json_values), payload=fake_payloads)
def test_any_claims_signed_with_a_configured_key_are_answered(client, admin_user, header, payload):
    """What only a key holder could send: signed, so every claim rule is reached."""
    kid, key = django_settings.JWT["SIGNING_KEYS"][0]
    headers = {"kid": kid, **header, "alg": "HS256"} if isinstance(header, dict) else {"kid": kid}
    try:
        token = forge_token(admin_user, headers=headers, key=key, **payload)
    except Exception:  # PyJWT refuses to encode it (e.g. a kid it cannot hash): none to send
        return
    response = client.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_answered(response)


@pytest.mark.django_db
def test_the_properties_can_see_a_success(client, a_movie, fresh_token, admin_user):
    """The checks above are not vacuous: the same client gets 2xx for good requests."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {fresh_token()}"}
    assert client.get(f"/api/movies/{a_movie.pk}/", **auth).status_code == 200
    assert client.get("/api/movies/?ordering=-year&page_size=5", **auth).status_code == 200
    login = client.post(
        "/api/auth/login/",
        {"email": admin_user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 200
