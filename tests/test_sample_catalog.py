import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from movies.models import Movie
from movies.services import SAMPLE_CATALOG


@pytest.mark.django_db
def test_sample_catalog_loads_once_and_keeps_admin_edits(admin_client):
    entries = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
    assert len(entries) >= 40
    out = StringIO()
    call_command("load_sample_catalog", stdout=out)
    assert f"{len(entries)} films added" in out.getvalue()
    avatar = Movie.objects.get(title="Avatar", year=2009)
    assert (avatar.category, avatar.rating) == ("Acción", Decimal("7.8"))

    avatar.rating = Decimal("9.9")
    avatar.save()
    out = StringIO()
    call_command("load_sample_catalog", stdout=out)
    assert f"0 films added, {len(entries)} in the catalog" in out.getvalue()
    assert Movie.objects.get(pk=avatar.pk).rating == Decimal("9.9")

    response = admin_client.get("/api/movies/?search=avatar")
    assert [m["title"] for m in response.json()["results"]] == ["Avatar"]
