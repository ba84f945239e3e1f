"""What a newcomer meets first: `/`, the favicon, the admin's "View site" link, and a schema whose
every list parameter is described and whose examples name this API's own addresses."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.staticfiles import finders

from tests.helpers import LIST_PARAMETERS


@pytest.mark.parametrize(
    ("path", "docs"), [("/", "/api/docs/"), ("/?lang=es", "/api/docs/?lang=es")]
)
def test_the_root_leads_to_the_api_docs(client, path, docs):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == docs
    assert client.get(path, follow=True).status_code == 200


@pytest.mark.django_db
def test_the_admins_view_site_link_leads_to_the_docs(client, admin_user):
    assert admin.site.site_url == "/"
    client.force_login(admin_user)
    assert 'href="/"' in client.get("/admin/").content.decode()
    assert client.get(admin.site.site_url, follow=True).redirect_chain[-1][0] == "/api/docs/"


def test_the_favicon_is_a_small_committed_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/common/favicon.ico"
    # Served from there by whitenoise (runserver and the browser tests' live server alike).
    icon = Path(finders.find("common/favicon.ico")).read_bytes()
    assert icon.startswith(b"\x00\x00\x01\x00")  # the ICO file signature
    assert len(icon) < 10_000


def schema(client) -> dict:
    return client.get("/api/schema/?format=json").json()


def test_every_movie_list_parameter_is_described(client):
    operation = schema(client)["paths"]["/api/movies/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) >= set(LIST_PARAMETERS)
    undescribed = [name for name, p in parameters.items() if not p.get("description")]
    assert undescribed == []
    assert parameters["year_min"]["description"] == "Earliest release year, inclusive"
    assert (parameters["year"]["schema"]["minimum"], parameters["year"]["schema"]["maximum"]) == (
        0,
        9999,
    )
    assert parameters["rating_min"]["schema"]["maximum"] == 10


def test_the_pagination_example_names_this_apis_own_addresses(client):
    text = client.get("/api/schema/").content.decode()
    assert "api.example.org" not in text
    page = schema(client)["components"]["schemas"]["PaginatedMovieList"]["properties"]
    assert page["next"]["example"] == "http://127.0.0.1:8000/api/movies/?page=4"
    assert page["previous"]["example"] == "http://127.0.0.1:8000/api/movies/?page=2"


def test_the_description_is_true_on_both_docs_pages(client):
    # Redoc has no Authorize button: the text says where that button is.
    description = schema(client)["info"]["description"]
    assert "(in this page: the Authorize button)" not in description
    assert "in Swagger UI (/api/docs/), the Authorize button" in description
