"""A client generated from the live schema (openapi-python-client, as an API user would) runs the
README's whole flow: its function and model names are the chosen ones, and every error is typed."""

import importlib
import os
import re
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from tests.helpers import PASSWORD, PROJECT_DIR, login_pair

PACKAGE = "movie_client"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def generated(live_server, tmp_path_factory, django_db_blocker):
    """Generate the client from the running server's schema into a temporary folder, once for
    this module, and make it importable."""
    tmp_path = tmp_path_factory.mktemp("generated")
    tools = Path(sys.executable).parent  # the generator runs ruff on its output: same virtualenv
    # Each request starts by checking the server thread's database connection (Django's
    # close_old_connections), which pytest-django refuses outside a database test.
    with django_db_blocker.unblock():
        result = subprocess.run(
            [
                str(tools / "openapi-python-client"),
                "generate",
                "--url",
                f"{live_server.url}/api/schema/?format=json",
                "--meta",
                "none",
                "--output-path",
                str(tmp_path / PACKAGE),
            ],
            cwd=tmp_path,
            env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The generator reports what it could not understand in the schema as warnings.
    assert "warning" not in output.lower(), output
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        yield tmp_path / PACKAGE
    for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
        del sys.modules[name]


def load(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_modules_and_models_have_the_chosen_names(generated):
    apis = {path.relative_to(generated).as_posix() for path in generated.glob("api/*/*.py")}
    assert apis - {f"api/{tag}/__init__.py" for tag in ("auth", "movies", "health")} == {
        "api/auth/auth_login.py",
        "api/auth/auth_refresh.py",
        "api/auth/auth_logout.py",
        "api/auth/auth_logout_all.py",
        "api/auth/auth_me.py",
        "api/auth/auth_password_change.py",
        "api/auth/sessions_list.py",
        "api/auth/sessions_destroy.py",
        "api/movies/movies_list.py",
        "api/movies/movies_create.py",
        "api/movies/movies_retrieve.py",
        "api/movies/movies_update.py",
        "api/movies/movies_partial_update.py",
        "api/movies/movies_destroy.py",
        "api/movies/movies_history.py",
        "api/health/health.py",
    }
    models = {path.stem for path in generated.glob("models/*.py")}
    # One model per component: one 400 model for every operation (no per-operation copies such
    # as movies_create_response_400_type_0), one health answer for its 200 and 503.
    assert models == {
        "__init__",
        "dependency_state_enum",
        "error",
        "error_code_enum",
        "health",
        "health_status_enum",
        "login_request",
        "me",
        "movie",
        "movie_change_enum",
        "movie_ordering",
        "movie_version",
        "movie_version_changes",
        "movie_request",
        "paginated_movie_list",
        "paginated_movie_version_list",
        "pagination_mode_enum",
        "password_change_request",
        "patched_movie_request",
        "refresh_request",
        "session",
        "token",
        "validation_error",
    }
    ordering = load("models").MovieOrdering
    assert {member.name: member.value for member in ordering} == {
        "TITLE": "title",
        "TITLE_DESC": "-title",
        "YEAR": "year",
        "YEAR_DESC": "-year",
        "RATING": "rating",
        "RATING_DESC": "-rating",
        "CREATED_AT": "created_at",
        "CREATED_AT_DESC": "-created_at",
    }


def test_the_readme_flow_through_the_generated_client(
    generated, live_server, admin_user, make_movie
):
    for title, year, rating, category in [
        ("Heat", 1995, "8.3", "Crimen"),
        ("Up", 2009, "8.3", "Animación"),
        ("Avatar", 2009, "7.9", "Acción"),
        ("Alien", 1979, "8.5", "Terror"),
    ]:
        make_movie(title=title, year=year, rating=rating, category=category)
    client_module, models = load("client"), load("models")
    auth_login, auth_refresh, auth_me = (
        load("api.auth.auth_login"),
        load("api.auth.auth_refresh"),
        load("api.auth.auth_me"),
    )
    auth_logout = load("api.auth.auth_logout")
    movies_list, movies_create = load("api.movies.movies_list"), load("api.movies.movies_create")
    movies_update = load("api.movies.movies_update")
    movies_partial_update = load("api.movies.movies_partial_update")
    movies_retrieve, movies_destroy = (
        load("api.movies.movies_retrieve"),
        load("api.movies.movies_destroy"),
    )
    public = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # A wrong password: a typed 401.
    refused = auth_login.sync(
        client=public, body=models.LoginRequest(email=admin_user.email, password="wrong")
    )
    assert isinstance(refused, models.Error)
    assert refused.detail

    # Log in, then refresh: a new pair each time.
    login = auth_login.sync(
        client=public, body=models.LoginRequest(email=admin_user.email, password=PASSWORD)
    )
    assert isinstance(login, models.Token)
    assert login.token_type == "Bearer"
    refreshed = auth_refresh.sync(
        client=public, body=models.RefreshRequest(refresh_token=login.refresh_token)
    )
    assert isinstance(refreshed, models.Token)
    assert refreshed.refresh_token != login.refresh_token
    api = client_module.AuthenticatedClient(
        base_url=live_server.url, token=refreshed.access_token, raise_on_unexpected_status=True
    )
    me = auth_me.sync(client=api)
    assert isinstance(me, models.Me)
    assert me.email == admin_user.email

    # List with several orderings (the client sends a list as repeated parameters) and filters.
    order = models.MovieOrdering

    def titles(**query) -> list[str]:
        page = movies_list.sync(client=api, **query)
        assert isinstance(page, models.PaginatedMovieList), page
        return [movie.title for movie in page.results]

    assert titles(ordering=[order.TITLE]) == ["Alien", "Avatar", "Heat", "Up"]
    assert titles(ordering=[order.YEAR_DESC, order.TITLE]) == ["Avatar", "Up", "Heat", "Alien"]
    assert titles(ordering=[order.RATING_DESC, order.TITLE_DESC]) == [
        "Alien",
        "Up",
        "Heat",
        "Avatar",
    ]
    assert titles(year_min=2000, ordering=[order.TITLE]) == ["Avatar", "Up"]
    assert titles(category="acción") == ["Avatar"]
    assert titles(rating_min=8.4) == ["Alien"]
    page = movies_list.sync(client=api, ordering=[order.TITLE], page_size=3, page=2)
    assert (page.count, [movie.title for movie in page.results]) == (4, ["Up"])
    bad_filter = movies_list.sync(client=api, year=-1)
    assert isinstance(bad_filter, models.ValidationError)
    assert "year" in bad_filter.additional_properties

    # Create, replace (an omitted overview returns to empty), change one field.
    created = movies_create.sync(
        client=api,
        body=models.MovieRequest(
            title="Dune", overview="Spice.", year=2021, rating=8.0, category="Ciencia ficción"
        ),
    )
    assert isinstance(created, models.Movie)
    assert isinstance(created.id, int)
    assert (created.title, created.overview, created.rating) == ("Dune", "Spice.", 8.0)
    replaced = movies_update.sync(
        id=created.id,
        client=api,
        body=models.MovieRequest(title="Dune", year=2021, rating=7.9, category="Ciencia ficción"),
    )
    assert isinstance(replaced, models.Movie)
    assert (replaced.overview, replaced.rating) == ("", 7.9)
    changed = movies_partial_update.sync(
        id=created.id, client=api, body=models.PatchedMovieRequest(rating=8.1)
    )
    assert isinstance(changed, models.Movie)
    assert (changed.title, changed.rating) == ("Dune", 8.1)

    # A duplicate title and year: the shared, typed validation error.
    duplicate = movies_create.sync(
        client=api,
        body=models.MovieRequest(title="DUNE", year=2021, rating=5.0, category="Otra"),
    )
    assert isinstance(duplicate, models.ValidationError)
    assert duplicate.additional_properties == {
        "title": ["A movie with this title and year already exists."]
    }

    # Delete; the movie is gone, as a typed 404.
    assert movies_destroy.sync_detailed(id=created.id, client=api).status_code == 204
    missing = movies_retrieve.sync(id=created.id, client=api)
    assert isinstance(missing, models.Error)

    # Log out: the token stops working at once.
    assert auth_logout.sync_detailed(client=api).status_code == 204
    after = auth_me.sync(client=api)
    assert isinstance(after, models.Error)
    assert auth_me.sync_detailed(client=api).status_code == 401


def test_conditional_writes_idempotent_creates_and_history_through_the_generated_client(
    generated, live_server, admin_user
):
    client_module, models = load("client"), load("models")
    movies_create, movies_retrieve = (
        load("api.movies.movies_create"),
        load("api.movies.movies_retrieve"),
    )
    movies_partial_update = load("api.movies.movies_partial_update")
    movies_destroy, movies_history = (
        load("api.movies.movies_destroy"),
        load("api.movies.movies_history"),
    )
    api = client_module.AuthenticatedClient(
        base_url=live_server.url,
        token=login_pair(admin_user).access.value,
        raise_on_unexpected_status=True,
    )
    body = models.MovieRequest(title="Stalker", year=1979, rating=8.1, category="Ciencia ficción")

    # An idempotent create, retried: the first answer again, and one movie.
    first = movies_create.sync_detailed(client=api, body=body, idempotency_key="stalker-1979")
    again = movies_create.sync_detailed(client=api, body=body, idempotency_key="stalker-1979")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.parsed.id == first.parsed.id
    assert again.headers["Idempotent-Replayed"] == "true"
    other = body.to_dict() | {"year": 1980}
    reused = movies_create.sync_detailed(
        client=api, body=models.MovieRequest.from_dict(other), idempotency_key="stalker-1979"
    )
    assert (reused.status_code, reused.parsed.code) == (
        422,
        models.ErrorCodeEnum.IDEMPOTENCY_KEY_REUSED,
    )

    # Read with its ETag; a write over another version is a typed 412, over this one done.
    movie_id = first.parsed.id
    read = movies_retrieve.sync_detailed(id=movie_id, client=api)
    tag = read.headers["ETag"]
    unchanged = movies_retrieve.sync_detailed(id=movie_id, client=api, if_none_match=tag)
    assert unchanged.status_code == 304
    changed = movies_partial_update.sync_detailed(
        id=movie_id, client=api, body=models.PatchedMovieRequest(rating=8.2), if_match=tag
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    stale = movies_partial_update.sync_detailed(
        id=movie_id, client=api, body=models.PatchedMovieRequest(rating=1.0), if_match=tag
    )
    assert (stale.status_code, stale.parsed.code) == (412, models.ErrorCodeEnum.PRECONDITION_FAILED)
    gone = movies_destroy.sync_detailed(id=movie_id, client=api, if_match=changed.headers["ETag"])
    assert gone.status_code == 204

    # The history, typed: deleted, updated, created.
    history = movies_history.sync(id=movie_id, client=api)
    assert [version.change for version in history.results] == ["deleted", "updated", "created"]
    assert history.results[1].changes.additional_properties == {"rating": [8.1, 8.2]}


def readme_client_example() -> str:
    readme = (PROJECT_DIR / "docs" / "how-to" / "clients.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"<!-- client-example -->\n```python\n(.*?)```", readme, re.DOTALL)
    return example


def test_the_readme_client_example_logs_in_lists_movies_and_refreshes_an_expired_token(
    generated, live_server, admin_user, make_movie, tmp_path
):
    make_movie(title="Heat", rating="8.3")
    make_movie(title="Alien", rating="8.5")
    names = {"API": live_server.url, "EMAIL": admin_user.email, "PASSWORD": PASSWORD}
    script = tmp_path / "readme_client_example.py"
    script.write_text(readme_client_example(), encoding="utf-8")
    result = runpy.run_path(str(script), init_globals=names)
    assert [movie.title for movie in result["movies"].results] == ["Alien", "Heat"]

    # A pair whose access token has expired (issued an hour ago): refreshed, then listed.
    with time_machine.travel(timezone.now() - timedelta(hours=1)):
        old = login_pair(admin_user)
    models = load("models")
    expired = models.Token(
        access_token=old.access.value,
        token_type="Bearer",
        expires_in=0,
        refresh_token=old.refresh.value,
        refresh_expires_in=0,
        device_token="",
    )
    movies, token = result["best_rated"](expired)
    assert [movie.title for movie in movies.results] == ["Alien", "Heat"]
    assert token.refresh_token != old.refresh.value  # the pair was renewed


def test_the_readme_client_example_passes_mypy_strict(generated, tmp_path):
    # The names the README leaves to the reader, typed as they would be.
    prelude = 'API = "http://127.0.0.1:8000"\nEMAIL = "admin@example.com"\nPASSWORD = "secret"\n'
    script = tmp_path / "readme_client_example.py"
    script.write_text(prelude + readme_client_example(), encoding="utf-8")
    result = subprocess.run(
        # The example is checked against the client's types; the generator's own code (its
        # __exit__ signatures fail --strict) is its authors' to check, so it is not reported.
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-incremental",
            str(script),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(generated.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
