"""Only admins reach the catalog: no token is 401, a non-admin's token is 403, on every route."""

import pytest

from accounts.models import LoginSession
from movies.models import Movie
from tests.helpers import access_token_for, bearer_client

BODY = {"title": "Heat", "year": 1995, "rating": 8.3, "category": "Crimen"}


def routes(movie_id: int):
    return [
        ("get", "/api/movies/", None),
        ("post", "/api/movies/", BODY),
        ("get", f"/api/movies/{movie_id}/", None),
        ("put", f"/api/movies/{movie_id}/", BODY),
        ("patch", f"/api/movies/{movie_id}/", {"rating": 1}),
        ("delete", f"/api/movies/{movie_id}/", None),
    ]


ACCOUNT_ROUTES = [("get", "/api/auth/me/", None), ("post", "/api/auth/logout/", None)]


@pytest.mark.django_db
def test_every_route_is_401_without_a_token(api_client, make_movie):
    movie = make_movie(title="Ronin", year=1998)
    for method, path, body in [*routes(movie.pk), *ACCOUNT_ROUTES]:
        response = getattr(api_client, method)(path, body)
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    stored = Movie.objects.get()
    assert (stored.pk, stored.title, stored.rating) == (movie.pk, "Ronin", movie.rating)


@pytest.mark.django_db
def test_every_route_is_403_for_a_non_admin(regular_user, make_movie):
    client = bearer_client(access_token_for(regular_user))
    movie = make_movie(title="Ronin", year=1998)
    for method, path, body in routes(movie.pk):
        response = getattr(client, method)(path, body)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "not_admin"
    stored = Movie.objects.get()
    assert (stored.pk, stored.title, stored.year) == (movie.pk, "Ronin", 1998)
    # The refusals ended nothing: the user's session is still live.
    assert LoginSession.objects.filter(user=regular_user, ended_at__isnull=True).count() == 1
