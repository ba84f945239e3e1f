import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from movies.models import Movie
from movies.services import SAMPLE_CATALOG


def load_sample_catalog() -> str:
    out = StringIO()
    call_command("load_sample_catalog", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sample_catalog_fills_an_empty_catalog_once_and_keeps_admin_edits(admin_client):
    entries = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
    assert len(entries) >= 40
    assert f"{len(entries)} films added" in load_sample_catalog()
    avatar = Movie.objects.get(title="Avatar", year=2009)
    assert (avatar.category, avatar.rating) == ("Acción", Decimal("7.8"))

    avatar.rating = Decimal("9.9")
    avatar.save()
    assert f"not loaded, {len(entries)} in the catalog already" in load_sample_catalog()
    assert Movie.objects.get(pk=avatar.pk).rating == Decimal("9.9")

    response = admin_client.get("/api/movies/?search=avatar")
    assert [m["title"] for m in response.json()["results"]] == ["Avatar"]


@pytest.mark.django_db
def test_a_film_an_admin_deleted_stays_deleted(admin_client):
    load_sample_catalog()
    avatar = Movie.objects.get(title="Avatar", year=2009)
    assert admin_client.delete(f"/api/movies/{avatar.pk}/").status_code == 204

    load_sample_catalog()
    assert not Movie.objects.filter(title="Avatar").exists()
    assert admin_client.get("/api/movies/?search=avatar").json()["count"] == 0


@pytest.mark.django_db
def test_a_catalog_with_only_an_admins_own_film_gets_no_sample(make_movie):
    make_movie(title="Cinema Paradiso", year=1988)
    assert "not loaded, 1 in the catalog already" in load_sample_catalog()
    assert list(Movie.objects.values_list("title", flat=True)) == ["Cinema Paradiso"]


@pytest.mark.django_db
def test_an_emptied_catalog_gets_the_sample_again():
    load_sample_catalog()
    Movie.objects.all().delete()
    entries = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
    assert f"{len(entries)} films added" in load_sample_catalog()
