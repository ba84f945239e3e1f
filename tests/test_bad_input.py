"""Input that used to crash the server is a 400 naming what is wrong (or a 404 for an id)."""

import pytest

from common.parsers import MAX_JSON_DEPTH
from movies.filters import MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS
from movies.models import Movie

LIST = "/api/movies/"
VALID = {"title": "Heat", "overview": "", "year": 1995, "rating": 8.3, "category": "Crimen"}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_json_400_naming(response, name: str) -> None:
    assert response.status_code == 400, response.content
    assert name in response.json(), response.json()


@pytest.fixture
def movie(make_movie):
    return make_movie(title="Avatar", year=2009)


# --- Deeply nested JSON bodies -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_deeply_nested_movie_body_is_a_400_parse_error(admin_client, movie, method, depth):
    path = LIST if method == "post" else f"{LIST}{movie.pk}/"
    body = '{"title": ' + nested(depth) + "}"
    response = getattr(admin_client, method)(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.",
        "code": "parse_error",
    }
    assert Movie.objects.get() == movie


@pytest.mark.django_db
def test_nesting_up_to_the_limit_is_parsed_and_then_validated(admin_client):
    body = '{"title": ' + nested(MAX_JSON_DEPTH - 1) + "}"
    response = admin_client.post(LIST, body, content_type="application/json")
    assert_json_400_naming(response, "title")


@pytest.mark.django_db
def test_brackets_inside_strings_do_not_count_as_nesting(admin_client):
    title = '[{"\\"' * 200
    response = admin_client.post(LIST, {**VALID, "title": title[:200]})
    assert response.status_code == 201
    assert response.json()["title"] == title[:200]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['"' + '\\"' * 600_000, '"\\"' * 600_000 + "\\", '"[' * 600_000])
def test_megabytes_of_unclosed_strings_are_answered_quickly_as_a_400(admin_client, body):
    # The nesting scan is linear: quadratic backtracking on these would hold the worker for hours.
    response = admin_client.post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.django_db
def test_deeply_nested_login_body_is_a_400(api_client):
    body = '{"email": ' + nested(5_000) + ', "password": "x"}'
    response = api_client.post("/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


@pytest.mark.django_db
def test_deeply_nested_login_body_after_the_throttle_refused_is_no_server_error(api_client):
    # More attempts than one address may make in a window, whatever the emails.
    for attempt in range(5 * 4):  # the rate, 5/min, times four: see tests/test_login_throttling.py
        api_client.post(
            "/api/auth/login/", {"email": f"guess{attempt}@example.com", "password": "wrong"}
        )
    body = '{"email": ' + nested(5_000) + "}"
    response = api_client.post("/api/auth/login/", body, content_type="application/json")
    # The body is read (and refused) before the login policy counts anything.
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/login/", '{"email": "a\\ud800@example.com", "password": "x"}'),
        ("/api/auth/login/", '{"email": "admin@example.com", "password": "\\udfff"}'),
        ("/api/auth/refresh/", '{"refresh_token": "\\ud83d"}'),
        (LIST, '{"title": "Heat \\ud800", "year": 1995, "rating": 8.3, "category": "Crime"}'),
        (LIST, '{"\\udc00": 1, "title": "Heat", "year": 1995, "category": "Crime"}'),
    ],
)
def test_a_string_with_a_lone_surrogate_is_a_400_parse_error(admin_client, path, body):
    # Valid JSON syntax, but not Unicode text: no hasher, database or log could encode it.
    response = admin_client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.django_db
def test_a_surrogate_pair_escape_is_the_character_it_encodes(admin_client):
    body = '{"title": "Heat \\ud83c\\udfac", "year": 1995, "rating": 8.3, "category": "Crime"}'
    response = admin_client.post(LIST, body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["title"] == "Heat \U0001f3ac"


# --- Numbers beyond a field's range or precision ---------------------------------------------


RATINGS_OUT_OF_RANGE = [1e27, -1e27, 1e308, "1e27", "-1e27", "1e100000", "-1e100000", "1E+29"]
RATINGS_NOT_NUMBERS = ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "٨"]


@pytest.mark.django_db
@pytest.mark.parametrize("rating", [*RATINGS_OUT_OF_RANGE, *RATINGS_NOT_NUMBERS, "1e-100000"])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_rating_beyond_range_or_precision_is_a_400_naming_rating(
    admin_client, movie, method, rating
):
    path = LIST if method == "post" else f"{LIST}{movie.pk}/"
    response = getattr(admin_client, method)(path, {**VALID, "rating": rating})
    assert_json_400_naming(response, "rating")
    assert list(response.json()) == ["rating"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rating", "message"),
    [
        (1e27, "less than or equal to 10"),
        (-1e27, "greater than or equal to 0"),
    ],
)
def test_rating_message_says_which_rule(admin_client, rating, message):
    response = admin_client.post(LIST, {**VALID, "rating": rating})
    assert message in response.json()["rating"][0]


@pytest.mark.django_db
def test_non_standard_json_constants_are_a_parse_error(admin_client):
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = '{"title": "Heat", "year": 1995, "rating": ' + constant + ', "category": "C"}'
        response = admin_client.post(LIST, body, content_type="application/json")
        assert response.status_code == 400
        assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "year", [10**30, -(10**30), 1e308, "1e5", "٢٠٠٩", "2009\u0660", " 2009", "+2009", "9" * 40]
)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_year_that_is_not_a_plain_whole_number_in_range_is_a_400(admin_client, movie, method, year):
    path = LIST if method == "post" else f"{LIST}{movie.pk}/"
    response = getattr(admin_client, method)(path, {**VALID, "year": year})
    assert_json_400_naming(response, "year")


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "limit"), [("title", 200), ("category", 50), ("overview", 2000)])
def test_a_text_over_its_max_length_with_blanks_is_refused(admin_client, field, limit):
    """maxLength counts the string as sent, as the schema says: trimming does not make room."""
    response = admin_client.post(LIST, {**VALID, field: "x" + " " * limit})
    assert_json_400_naming(response, field)
    response = admin_client.post(LIST, {**VALID, field: " x "})
    assert response.status_code == 201
    assert response.json()[field] == "x"


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("year", "1995"), ("rating", "7.5"), ("year", True)])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_number_fields_take_json_numbers_only(admin_client, movie, method, field, value):
    """Strict JSON types: a number spelled as a string is refused, as a number is by a text
    field; the schema says "integer" and "number", and the server holds to it."""
    path = LIST if method == "post" else f"{LIST}{movie.pk}/"
    response = getattr(admin_client, method)(path, {**VALID, field: value})
    assert_json_400_naming(response, field)
    assert list(response.json()) == [field]


# --- Ordering ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ordering", ["title,", ",", "-", ",title", "title,,year", "-,title", "title,-"]
)
def test_ordering_with_an_empty_term_is_a_400_naming_ordering(admin_client, movie, ordering):
    response = admin_client.get(LIST, {"ordering": ordering})
    assert_json_400_naming(response, "ordering")


@pytest.mark.django_db
def test_repeated_ordering_keys_apply_in_the_order_given(admin_client, make_movie):
    for title, year in [("C", 2000), ("A", 1990), ("B", 2000)]:
        make_movie(title=title, year=year)
    response = admin_client.get(f"{LIST}?ordering=-year&ordering=title")
    # Either key alone would give another order: A B C (title), C B A or B C A (-year).
    assert [movie["title"] for movie in response.json()["results"]] == ["B", "C", "A"]
    merged = admin_client.get(f"{LIST}?ordering=-year,title")
    assert response.json() == merged.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "year=abc&year=2000",
        "year=2000&year=abc",
        "year=2000&year=2001",
        "year_min=1990&year_min=2000",
        "year_max=1990&year_max=2000",
        "rating_min=5&rating_min=6",
        "category=drama&category=crime",
        "search=heat&search=alien",
        "page=1&page=2",
        "page_size=5&page_size=10",
        "cursor=&cursor=",
    ],
)
def test_a_single_valued_parameter_given_twice_is_a_400_naming_it(admin_client, movie, query):
    name = query.partition("=")[0]
    response = admin_client.get(f"/api/movies/?{query}")
    assert response.status_code == 400
    assert "Give this parameter once." in response.json()[name]


@pytest.mark.django_db
def test_repeated_ordering_with_an_empty_one_is_a_400(admin_client, movie):
    response = admin_client.get(f"{LIST}?ordering=title&ordering=")
    assert_json_400_naming(response, "ordering")


# --- Search ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_with_the_most_terms_allowed_is_answered(admin_client, make_movie):
    make_movie(title="Alien", overview="a b c d e f g h i")
    terms = " ".join(["alien", *"abcdefghi"][:MAX_SEARCH_TERMS])
    response = admin_client.get(LIST, {"search": terms})
    assert response.status_code == 200
    assert [movie["title"] for movie in response.json()["results"]] == ["Alien"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "search",
    [
        " ".join(["x"] * (MAX_SEARCH_TERMS + 1)),
        " ".join(["x"] * 1_000),  # SQLite: "Expression tree is too large"
        ",".join(["x"] * 1_000),
        "x" * (MAX_SEARCH_LENGTH + 1),
        "nul\x00byte",
    ],
)
def test_unreasonable_search_is_a_400_naming_search(admin_client, movie, search):
    response = admin_client.get(LIST, {"search": search})
    assert_json_400_naming(response, "search")


# --- Integers in paths and query strings: ASCII digits only ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_movie_id_in_other_digits_is_a_404(admin_client, movie, method):
    path = f"{LIST}{str(movie.pk).translate(ARABIC_INDIC)}/"
    response = getattr(admin_client, method)(path, VALID)
    assert response.status_code == 404
    assert "detail" in response.json()
    assert Movie.objects.get() == movie


@pytest.mark.django_db
@pytest.mark.parametrize(
    "parameter", ["year", "year_min", "year_max", "page", "page_size", "rating_min"]
)
@pytest.mark.parametrize("value", ["2", "2009"])
def test_query_integer_in_other_digits_is_a_400_naming_it(admin_client, movie, parameter, value):
    response = admin_client.get(LIST, {parameter: value.translate(ARABIC_INDIC)})
    assert_json_400_naming(response, parameter)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [" 2", "+2", "2_0", "\uff12"])  # the last: a full-width two
def test_page_size_spelled_other_than_ascii_digits_is_a_400(admin_client, movie, value):
    assert_json_400_naming(admin_client.get(LIST, {"page_size": value}), "page_size")


# --- Wrong types ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["title", "overview", "category"])
@pytest.mark.parametrize("value", [0, 7.5, True, ["Heat"], {"text": "Heat"}])
def test_text_field_given_anything_but_a_string_is_a_400(admin_client, field, value):
    response = admin_client.post(LIST, {**VALID, field: value})
    assert_json_400_naming(response, field)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["email", "password"])
def test_login_field_given_a_number_is_a_400(api_client, admin_user, field):
    credentials = {"email": admin_user.email, "password": "x", field: 12345678}
    assert_json_400_naming(api_client.post("/api/auth/login/", credentials), field)
