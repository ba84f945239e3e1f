"""Every field rule is a 400 whose message names the field; duplicates too, in any case."""

import jsonschema
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from movies.models import Movie

VALID = {"title": "Heat", "overview": "", "year": 1995, "rating": 8.3, "category": "Crimen"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "may not be blank"),
        ("title", "   ", "may not be blank"),
        ("title", "x" * 201, "no more than 200 characters"),
        ("title", None, "may not be null"),
        ("title", "nul\x00byte", "Null characters are not allowed"),
        ("overview", "x" * 2001, "no more than 2000 characters"),
        ("year", 1887, "greater than or equal to 1888"),
        ("year", "abc", "valid integer"),
        ("year", 1999.5, "valid integer"),
        ("rating", -0.1, "greater than or equal to 0"),
        ("rating", 10.1, "less than or equal to 10"),
        ("rating", "abc", "valid number"),
        ("rating", 100, "less than or equal to 10"),
        ("rating", "NaN", "valid number"),
        ("rating", True, "valid number"),
        ("category", "", "may not be blank"),
        ("category", "x" * 51, "no more than 50 characters"),
    ],
)
def test_field_rule_is_a_400_naming_the_field(admin_client, field, value, message):
    response = admin_client.post("/api/movies/", {**VALID, field: value})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert not Movie.objects.exists()


@pytest.mark.django_db
def test_year_more_than_ten_years_ahead_is_400(admin_client):
    limit = timezone.now().year + 10
    assert admin_client.post("/api/movies/", {**VALID, "year": limit}).status_code == 201
    response = admin_client.post("/api/movies/", {**VALID, "title": "Later", "year": limit + 1})
    assert response.status_code == 400
    assert response.json() == {"year": [f"Ensure this value is less than or equal to {limit}."]}


@pytest.mark.django_db
def test_missing_required_fields_are_each_named(admin_client):
    response = admin_client.post("/api/movies/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"title", "year", "rating", "category"}


@pytest.mark.django_db
def test_rating_bounds_are_accepted(admin_client):
    for number, rating in enumerate((0, 0.0, 9.9, 10, 10.0)):
        response = admin_client.post(
            "/api/movies/", {**VALID, "title": f"T{number}", "rating": rating}
        )
        assert response.status_code == 201, response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"-0.0", b"-0", b"-1e-400", b"-0e5"])
def test_a_negative_zero_rating_is_answered_as_the_zero_stored(admin_client, body):
    payload = b'{"title": "Zero", "year": 2001, "category": "Drama", "rating": %s}' % body
    created = admin_client.post("/api/movies/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert b'"rating":0.0' in created.content.replace(b" ", b"")
    stored = admin_client.get(f"/api/movies/{created.json()['id']}/")
    assert b'"rating":0.0' in stored.content.replace(b" ", b"")


@pytest.mark.django_db
@pytest.mark.parametrize("title", ["Heat", "HEAT", "heat", "hEaT"])
def test_duplicate_title_and_year_in_any_case_is_400(admin_client, make_movie, title):
    make_movie(title="Heat", year=1995)
    response = admin_client.post("/api/movies/", {**VALID, "title": title})
    assert response.status_code == 400
    assert response.json() == {"title": ["A movie with this title and year already exists."]}
    assert Movie.objects.count() == 1


@pytest.mark.django_db
def test_same_title_in_another_year_is_fine(admin_client, make_movie):
    make_movie(title="Heat", year=1986)
    assert admin_client.post("/api/movies/", VALID).status_code == 201


@pytest.mark.django_db
def test_update_into_a_duplicate_is_400_and_changes_nothing(admin_client, make_movie):
    make_movie(title="Heat", year=1995)
    other = make_movie(title="Ronin", year=1998)
    response = admin_client.patch(f"/api/movies/{other.pk}/", {"title": "HEAT", "year": 1995})
    assert response.status_code == 400
    assert "title" in response.json()
    other.refresh_from_db()
    assert (other.title, other.year) == ("Ronin", 1998)


@pytest.mark.django_db
def test_saving_a_movie_under_its_own_title_is_not_a_duplicate(admin_client, make_movie):
    movie = make_movie(title="Heat", year=1995)
    response = admin_client.put(f"/api/movies/{movie.pk}/", {**VALID, "title": "HEAT"})
    assert response.status_code == 200
    assert response.json()["title"] == "HEAT"


@pytest.mark.django_db
def test_database_enforces_the_rules_too(make_movie):
    make_movie(title="Heat", year=1995)
    for fields in (
        {"title": "HEAT", "year": 1995},
        {"title": "Early", "year": 1800},
        {"title": "Too good", "rating": 11},
        {"title": "", "year": 2001},
        {"title": "No category", "category": ""},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_movie(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"),
    [(7.25, 7.3), (7.24999, 7.2), (0.05, 0.1), (9.95, 10.0), (0.1 + 0.2, 0.3), (1e-400, 0.0)],
)
def test_a_rating_with_more_decimals_is_rounded_half_up_to_one(admin_client, sent, kept):
    response = admin_client.post("/api/movies/", {**VALID, "rating": sent}, format="json")
    assert response.status_code == 201
    assert response.json()["rating"] == kept
    assert float(Movie.objects.get().rating) == kept


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [10.04, -0.04])
def test_a_rating_out_of_range_is_refused_before_any_rounding(admin_client, sent):
    response = admin_client.post("/api/movies/", {**VALID, "rating": sent}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["rating"]


# Where the server and a validator of its schema could read a text differently: characters that
# are blank to one regular expression dialect and not to another, NUL, and ordinary text.
TEXTS = [
    "Heat",
    " Heat ",
    "\ufeff",
    "\x1c",
    "\x85",
    "\u3000",
    "\u200b",
    "\xa0Heat",
    "a\x00",
    "\x00",
]


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("field", ["title", "category", "overview"])
def test_the_server_and_the_schemas_pattern_agree_on_every_text(admin_client, field, text):
    schema = admin_client.get("/api/schema/?format=json").json()
    rule = schema["components"]["schemas"]["MovieRequest"]["properties"][field]
    by_schema = jsonschema.Draft4Validator(rule).is_valid(text)
    response = admin_client.post("/api/movies/", {**VALID, field: text}, format="json")
    assert response.status_code in (201, 400)
    assert (response.status_code == 201) == by_schema, response.json()
