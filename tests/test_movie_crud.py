"""Admins create, read, replace, change and delete movies through /api/movies/."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from movies.models import Movie

AVATAR = {
    "title": "Avatar",
    "overview": "A marine on Pandora.",
    "year": 2009,
    "rating": 7.8,
    "category": "Acción",
}
MOVIE_FIELDS = {"id", "title", "overview", "year", "rating", "category", "created_at", "updated_at"}


@pytest.mark.django_db
def test_create_returns_201_with_the_movie_and_its_location(admin_client):
    response = admin_client.post("/api/movies/", AVATAR)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == MOVIE_FIELDS
    assert {key: body[key] for key in AVATAR} == AVATAR
    assert isinstance(body["rating"], float)
    assert response["Location"] == f"http://testserver/api/movies/{body['id']}"
    assert admin_client.get(response["Location"]).json() == body
    assert Movie.objects.get(pk=body["id"]).title == "Avatar"


@pytest.mark.django_db
def test_read_only_fields_are_ignored_on_create(admin_client):
    response = admin_client.post(
        "/api/movies", {**AVATAR, "id": 999, "created_at": "1999-01-01T00:00:00Z"}
    )
    assert response.status_code == 201
    assert response.json()["id"] != 999
    assert not response.json()["created_at"].startswith("1999")


@pytest.mark.django_db
def test_retrieve_returns_the_movie(admin_client, make_movie):
    movie = make_movie(title="Roma", year=2018)
    for path in (f"/api/movies/{movie.pk}/", f"/api/movies/{movie.pk}"):
        response = admin_client.get(path)
        assert response.status_code == 200
        assert response.json()["title"] == "Roma"


@pytest.mark.django_db
def test_put_replaces_every_field(admin_client, make_movie):
    movie = make_movie()
    response = admin_client.put(f"/api/movies/{movie.pk}/", AVATAR)
    assert response.status_code == 200
    movie.refresh_from_db()
    assert (movie.title, movie.year, str(movie.rating), movie.category) == (
        "Avatar",
        2009,
        "7.8",
        "Acción",
    )


@pytest.mark.django_db
def test_put_returns_an_omitted_optional_field_to_its_default(admin_client, make_movie):
    movie = make_movie(overview="An overview that PUT without one must not keep.")
    replacement = {key: value for key, value in AVATAR.items() if key != "overview"}
    response = admin_client.put(f"/api/movies/{movie.pk}/", replacement)
    assert response.status_code == 200
    assert response.json()["overview"] == ""
    movie.refresh_from_db()
    assert movie.overview == ""


@pytest.mark.django_db
def test_patch_keeps_an_omitted_optional_field(admin_client, make_movie):
    movie = make_movie(overview="Kept.")
    response = admin_client.patch(f"/api/movies/{movie.pk}/", {"title": "Renamed"})
    assert response.status_code == 200
    assert response.json()["overview"] == "Kept."


@pytest.mark.django_db
def test_put_without_a_required_field_is_400(admin_client, make_movie):
    movie = make_movie()
    response = admin_client.put(f"/api/movies/{movie.pk}/", {"title": "Only a title"})
    assert response.status_code == 400
    assert set(response.json()) == {"year", "rating", "category"}


@pytest.mark.django_db
def test_patch_changes_only_the_given_fields(admin_client, make_movie):
    created = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(created, tick=False) as clock:
        movie = make_movie(title="Up", year=2009, category="Animación")
        clock.shift(timedelta(minutes=5))
        response = admin_client.patch(f"/api/movies/{movie.pk}/", {"rating": 8.3})
    assert response.status_code == 200
    assert response.json()["rating"] == 8.3
    movie.refresh_from_db()
    assert (movie.title, movie.category, str(movie.rating)) == ("Up", "Animación", "8.3")
    assert (movie.created_at, movie.updated_at) == (created, created + timedelta(minutes=5))
    assert response.json()["updated_at"] == f"{created + timedelta(minutes=5):%Y-%m-%dT%H:%M:%SZ}"


@pytest.mark.django_db
def test_delete_returns_204_and_removes_the_row(admin_client, make_movie):
    movie = make_movie()
    response = admin_client.delete(f"/api/movies/{movie.pk}/")
    assert response.status_code == 204
    assert not Movie.objects.filter(pk=movie.pk).exists()
    assert admin_client.get(f"/api/movies/{movie.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("movie_id", ["424242", "abc", "99999999999999999999999", "-1", "1.5"])
def test_unknown_id_is_404_for_every_verb(admin_client, movie_id):
    path = f"/api/movies/{movie_id}/"
    assert admin_client.get(path).status_code == 404
    assert admin_client.put(path, AVATAR).status_code == 404
    assert admin_client.patch(path, {"rating": 1}).status_code == 404
    assert admin_client.delete(path).status_code == 404
