"""A body field that no endpoint declares is a 400 naming it, never silently ignored; the
read-only fields of a movie may be sent back as GET gave them. The schema says the same."""

import pytest

from movies.models import Movie
from tests.helpers import PASSWORD, bearer_client, login_pair

MOVIE = {"title": "Stalker", "overview": "", "year": 1979, "rating": 8.1, "category": "Drama"}
UNKNOWN = {"0": ["Unknown field."]}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_a_misspelt_movie_field_is_a_400_naming_it(admin_client, make_movie, method):
    movie = make_movie(title="Solaris")
    url = "/api/movies/" if method == "post" else f"/api/movies/{movie.pk}/"
    body = {**MOVIE, "titel": "Stalker II", "Rating": 2}
    response = getattr(admin_client, method)(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"Rating": ["Unknown field."], "titel": ["Unknown field."]}
    assert list(Movie.objects.values_list("title", flat=True)) == ["Solaris"]  # nothing written


@pytest.mark.django_db
def test_a_movie_read_with_get_can_be_sent_back_as_it_is(admin_client, make_movie):
    movie = make_movie(title="Solaris", year=1972)
    url = f"/api/movies/{movie.pk}/"
    body = admin_client.get(url).json()
    sent = {**body, "title": "Solaris (1972)", "id": 999, "created_at": "2000-01-01T00:00:00Z"}
    response = admin_client.put(url, sent, format="json")
    assert response.status_code == 200
    answer = response.json()
    assert answer["title"] == "Solaris (1972)"
    assert (answer["id"], answer["created_at"]) == (body["id"], body["created_at"])  # ignored


@pytest.mark.django_db
def test_unknown_fields_are_refused_by_the_account_endpoints(api_client, admin_user):
    login = {"email": admin_user.email, "password": PASSWORD, "remember_me": True}
    response = api_client.post("/api/auth/login/", login, format="json")
    assert (response.status_code, response.json()) == (400, {"remember_me": ["Unknown field."]})
    pair = login_pair(admin_user)
    refresh = {"refresh_token": pair.refresh.value, "0": 1}
    response = api_client.post("/api/auth/refresh/", refresh, format="json")
    assert (response.status_code, response.json()) == (400, UNKNOWN)
    change = {"current_password": PASSWORD, "new_password": "An0ther-long-pass", "0": 1}
    response = bearer_client(pair.access.value).post("/api/auth/password/", change, format="json")
    assert (response.status_code, response.json()) == (400, UNKNOWN)
    # Nothing was done: the refresh token and the password still work.
    refreshed = api_client.post("/api/auth/refresh/", {"refresh_token": pair.refresh.value})
    assert refreshed.status_code == 200


def test_the_schema_forbids_unknown_request_fields_and_declares_read_only_ones(api_client):
    schemas = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    requests = {name: schema for name, schema in schemas.items() if name.endswith("Request")}
    assert set(requests) >= {"LoginRequest", "MovieRequest", "PatchedMovieRequest"}
    assert all(schema["additionalProperties"] is False for schema in requests.values())
    for name in ("MovieRequest", "PatchedMovieRequest"):
        read_only = {
            field for field, spec in requests[name]["properties"].items() if spec.get("readOnly")
        }
        assert read_only == {"id", "created_at", "updated_at"}
