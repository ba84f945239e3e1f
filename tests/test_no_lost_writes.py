"""No write is ever lost, through HTTP: conditional reads and writes (ETag, If-None-Match,
If-Match), idempotent creates (Idempotency-Key), and the history of every change, with the admin's
conflict form and its restore. (Races between servers: tests/test_production_server.py.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from movies.models import IdempotentRequest, Movie
from movies.services import movie_update, sample_catalog_load
from tests.helpers import PASSWORD, bearer_client, login_pair

LIST = "/api/movies/"
BODY = {"title": "Paprika", "year": 2006, "rating": 7.7, "category": "Animación"}


def detail(movie) -> str:
    return f"{LIST}{movie.pk}/"


def etag_of(client, movie) -> str:
    response = client.get(detail(movie))
    assert response.status_code == 200
    return response["ETag"]


@pytest.fixture
def heat(make_movie):
    return make_movie(title="Heat", year=1995, rating=Decimal("8.3"), category="Crime")


# Conditional reads


@pytest.mark.django_db
def test_a_movie_comes_with_a_strong_etag_that_changes_with_every_change(admin_client, heat):
    response = admin_client.get(detail(heat))
    first = response["ETag"]
    assert first.startswith('"')  # strong: no W/
    assert first.endswith('"')
    assert response["Cache-Control"] == "private, no-cache"
    tags = {first}
    for rating in (8.4, 8.4, 8.5):  # the same value again is still a write, and a new version
        changed = admin_client.patch(detail(heat), {"rating": rating})
        assert changed.status_code == 200
        assert changed["ETag"] == etag_of(admin_client, heat)
        tags.add(changed["ETag"])
    movie_update(movie=Movie.objects.get(pk=heat.pk), overview="From the shell")
    tags.add(etag_of(admin_client, heat))
    assert len(tags) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("condition", ["{tag}", "W/{tag}", '"0", {tag}', "*"])
def test_if_none_match_with_the_current_tag_is_a_304_without_a_body(admin_client, heat, condition):
    tag = etag_of(admin_client, heat)
    response = admin_client.get(detail(heat), HTTP_IF_NONE_MATCH=condition.format(tag=tag))
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == tag


@pytest.mark.django_db
@pytest.mark.parametrize("condition", ['"0"', 'W/"0", "999"', "not a tag", ""])
def test_if_none_match_with_another_tag_reads_the_movie(admin_client, heat, condition):
    response = admin_client.get(detail(heat), HTTP_IF_NONE_MATCH=condition)
    assert response.status_code == 200
    assert response.json()["title"] == "Heat"


# Conditional writes


def _write(client, method: str, movie, tag: str | None):
    headers = {} if tag is None else {"HTTP_IF_MATCH": tag}
    body = {
        "put": {**BODY, "title": f"{movie.title} (put)"},
        "patch": {"title": f"{movie.title} (patch)"},
        "delete": None,
    }[method]
    return getattr(client, method)(detail(movie), body, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("stale", ['"0"', "W/{tag}", "{tag}x", "garbage", '"1", "0"'])
def test_a_write_over_another_version_is_a_412_and_writes_nothing(
    admin_client, heat, method, stale
):
    tag = etag_of(admin_client, heat)
    admin_client.patch(detail(heat), {"rating": 9.0})  # someone else's change
    current = etag_of(admin_client, heat)
    versions = heat.history.count()
    # The tag the client read is stale now; a weak tag never passes If-Match (strong comparison).
    for condition in (tag, stale.format(tag=current)):
        response = _write(admin_client, method, heat, condition)
        assert response.status_code == 412, condition
        assert response.json()["code"] == "precondition_failed"
    movie = Movie.objects.get(pk=heat.pk)
    assert (movie.title, movie.rating) == ("Heat", Decimal("9.0"))
    assert heat.history.count() == versions


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("condition", ["{tag}", "*", '"0", {tag}'])
def test_a_write_over_the_current_version_is_done_and_tagged(admin_client, heat, method, condition):
    tag = etag_of(admin_client, heat)
    response = _write(admin_client, method, heat, condition.format(tag=tag))
    if method == "delete":
        assert response.status_code == 204
        assert not Movie.objects.filter(pk=heat.pk).exists()
        return
    assert response.status_code == 200
    assert response["ETag"] not in (tag, None)
    assert response["ETag"] == etag_of(admin_client, heat)
    assert Movie.objects.get(pk=heat.pk).title == f"Heat ({method})"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_without_if_match_a_write_goes_ahead_unless_the_setting_requires_it(
    admin_client, heat, method, settings
):
    settings.REQUIRE_IF_MATCH = True
    response = _write(admin_client, method, heat, None)
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    assert Movie.objects.get(pk=heat.pk).title == "Heat"
    assert _write(admin_client, method, heat, etag_of(admin_client, heat)).status_code in (200, 204)
    settings.REQUIRE_IF_MATCH = False
    other = Movie.objects.create(title="Other", year=2000, rating=5, category="Drama")
    assert _write(admin_client, method, other, None).status_code in (200, 204)


@pytest.mark.django_db
def test_a_stale_write_is_refused_even_past_the_first_check(heat):
    # The statement that writes checks the version too: a writer that read version 1 while
    # another saved version 2 in between (the race the HTTP check cannot see) writes nothing.
    from common.conditional import VersionMismatch

    mine = Movie.objects.get(pk=heat.pk)
    movie_update(movie=Movie.objects.get(pk=heat.pk), rating=Decimal("1.0"))
    with pytest.raises(VersionMismatch):
        movie_update(movie=mine, expected_version=mine.version, rating=Decimal("9.9"))
    assert Movie.objects.get(pk=heat.pk).rating == Decimal("1.0")


# Idempotent creates


KEY = "7c6f0a0e-5a3f-4d0e-9a39-1f3c2b1a0d9e"


def create(client, body=BODY, key=KEY, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(LIST, body, format="json", **headers)


@pytest.mark.django_db
def test_a_retried_create_gets_the_first_answer_and_creates_nothing(admin_client):
    first = create(admin_client)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    # The same body, spelt otherwise (key order, spacing): the same request.
    spelt = '{ "category": "Animación", "rating": 7.7, "year": 2006, "title": "Paprika" }'
    again = admin_client.post(
        LIST,
        spelt,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Movie.objects.filter(title="Paprika").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(admin_client):
    assert create(admin_client).status_code == 201
    response = create(admin_client, {**BODY, "year": 2007})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Movie.objects.filter(title="Paprika").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", ["", " ", "\t", "a" * 256, "ключ", '"unclosed', 'a"', "a\\b", 'a"b', "a b", '""', "a,b"]
)
def test_a_malformed_key_is_a_400_naming_the_header(admin_client, key):
    response = admin_client.post(
        LIST, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1")
    )
    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert not Movie.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", ["a", "a" * 255, '"8e03978e-40d5-43e8-bc93-6894a57f9324"', "k-1.2_3~:+/="]
)
def test_keys_of_every_legal_form_are_taken(admin_client, key):
    assert create(admin_client, key=key).status_code == 201
    assert create(admin_client, key=key)["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_refused_create_keeps_no_record_so_its_corrected_retry_runs(admin_client, make_movie):
    make_movie(title="Paprika", year=2006)
    duplicate = create(admin_client)
    assert duplicate.status_code == 400
    invalid = create(admin_client, {**BODY, "year": "2006"}, key="other-key")
    assert invalid.status_code == 400
    assert not IdempotentRequest.objects.exists()
    assert create(admin_client, {**BODY, "year": 2007}).status_code == 201


@pytest.mark.django_db
def test_a_retry_while_the_first_runs_is_a_409_until_its_lease_runs_out(admin_client, admin_user):
    now = timezone.now()
    IdempotentRequest.objects.create(
        user=admin_user,
        key="busy",
        fingerprint=_fingerprint_of(BODY),
        created_at=now,
        lease_until=now + timedelta(seconds=60),
    )
    response = create(admin_client, key="busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert not Movie.objects.exists()
    # The first request's worker died: after its lease, a retry does the work.
    with time_machine.travel(now + timedelta(seconds=61)):
        assert create(admin_client, key="busy").status_code == 201
    assert Movie.objects.count() == 1


def _fingerprint_of(body) -> str:
    from movies.idempotency import fingerprint

    return fingerprint(LIST, body)


@pytest.mark.django_db
def test_keys_are_the_users_own_and_last_a_day(admin_client, admin_user):
    assert create(admin_client).status_code == 201
    other = User.objects.create_user("other.admin@example.com", PASSWORD, is_staff=True)
    theirs = create(bearer_client(login_pair(other).access.value), {**BODY, "year": 2007})
    assert theirs.status_code == 201  # the same key, another user: another request
    _age(key=KEY, user=admin_user, by=timedelta(hours=24))
    late = create(admin_client, {**BODY, "year": 2008})
    assert late.status_code == 201
    assert "Idempotent-Replayed" not in late


def _age(*, key: str, user, by: timedelta) -> None:
    IdempotentRequest.objects.filter(key=key, user=user).update(created_at=timezone.now() - by)


@pytest.mark.django_db
def test_the_housekeeping_command_removes_records_older_than_a_day(
    admin_client, admin_user, capsys
):
    create(admin_client, key="old")
    create(admin_client, {**BODY, "year": 2001}, key="new")
    _age(key="old", user=admin_user, by=timedelta(hours=24))
    _age(key="new", user=admin_user, by=timedelta(hours=23, minutes=59))
    call_command("purge_idempotency_keys")
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
    assert capsys.readouterr().out == "Deleted 1 Idempotency-Key record(s) older than a day.\n"


# History


@pytest.mark.django_db
def test_every_change_is_in_the_history_newest_first_with_who_and_what(admin_client, admin_user):
    created = create(admin_client, key=None).json()
    path = f"{LIST}{created['id']}/"
    tag = admin_client.get(path)["ETag"]
    admin_client.patch(path, {"rating": 8.0, "overview": "Dreams."}, HTTP_IF_MATCH=tag)
    assert admin_client.delete(path).status_code == 204
    response = admin_client.get(f"{path}history/")
    assert response.status_code == 200
    versions = response.json()["results"]
    assert [v["change"] for v in versions] == ["deleted", "updated", "created"]
    assert {v["changed_by"] for v in versions} == {admin_user.email}
    assert versions[1]["changes"] == {"overview": ["", "Dreams."], "rating": [7.7, 8.0]}
    assert versions[2]["changes"]["title"] == [None, "Paprika"]
    assert versions[0]["changes"]["rating"] == [8.0, None]
    assert [v["version"] for v in versions] == [2, 2, 1]
    assert versions[0]["changed_at"] >= versions[1]["changed_at"] >= versions[2]["changed_at"]


@pytest.mark.django_db
def test_writes_outside_the_api_are_recorded_too(admin_client):
    assert sample_catalog_load() > 0
    movie = Movie.objects.order_by("id").first()
    movie.rating = Decimal("1.0")
    movie.save()  # the shell
    versions = admin_client.get(f"{detail(movie)}history/").json()["results"]
    assert [(v["change"], v["changed_by"]) for v in versions] == [
        ("updated", None),
        ("created", None),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("movie_id", ["999999", "0"])
def test_the_history_of_a_movie_never_recorded_is_a_404(admin_client, movie_id):
    response = admin_client.get(f"{LIST}{movie_id}/history/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# Django admin


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _admin_form(movie, seen_version, **values):
    data = {
        "title": movie.title,
        "overview": movie.overview,
        "year": movie.year,
        "rating": movie.rating,
        "category": movie.category,
        "seen_version": "" if seen_version is None else seen_version,
    }
    return {**data, **values}


@pytest.mark.django_db
def test_the_admin_refuses_to_save_over_a_change_made_since_the_form_opened(
    staff_client, admin_client, heat
):
    url = f"/admin/movies/movie/{heat.pk}/change/"
    opened = staff_client.get(url)
    seen = opened.context["adminform"].form["seen_version"].value()
    # Meanwhile, through the API:
    admin_client.patch(detail(heat), {"rating": 9.1, "overview": "Their overview"})
    response = staff_client.post(url, _admin_form(heat, seen, title="Heat (mine)"))
    assert response.status_code == 200  # the form again, not a redirect
    page = response.content.decode()
    assert "Someone saved this movie after you opened it" in page
    assert "Their overview" in page  # theirs, in the message
    assert "9.1" in page
    assert 'value="Heat (mine)"' in page  # mine, still in the form
    assert Movie.objects.get(pk=heat.pk).title == "Heat"
    # Saving again, having seen theirs, keeps mine.
    again = staff_client.post(url, _admin_form(heat, seen + 1, title="Heat (mine)"))
    assert again.status_code == 302
    movie = Movie.objects.get(pk=heat.pk)
    assert (movie.title, movie.rating) == ("Heat (mine)", Decimal("8.3"))


@pytest.mark.django_db
def test_the_admin_shows_a_history_and_restores_a_deleted_movie(staff_client, admin_client, heat):
    admin_client.patch(detail(heat), {"rating": 9.0})
    history = staff_client.get(f"/admin/movies/movie/{heat.pk}/history/")
    assert history.status_code == 200
    assert "8.3" in history.content.decode()
    assert "9.0" in history.content.decode()
    assert admin_client.delete(detail(heat)).status_code == 204
    # The deleted movie's versions are listed; the first one's form restores it.
    listed = staff_client.get("/admin/movies/historicalmovie/", {"history_type__exact": "-"})
    assert "Heat" in listed.content.decode()
    first = heat.history.earliest("history_date")
    url = f"/admin/movies/movie/{heat.pk}/history/{first.history_id}/"
    form = staff_client.get(url).context["adminform"].form
    assert (
        staff_client.post(url, _admin_form(first, form["seen_version"].value())).status_code == 302
    )
    restored = Movie.objects.get(pk=heat.pk)
    assert (restored.title, restored.rating, restored.category) == ("Heat", Decimal("8.3"), "Crime")
    assert restored.version > first.version  # a new version: no old ETag fits it
    response = admin_client.get(f"{detail(heat)}history/")
    assert response.json()["results"][0]["change"] in ("created", "updated")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch"])
def test_the_condition_is_judged_before_the_body(admin_client, heat, method, settings):
    bad_body = {"year": "not a year"}
    response = getattr(admin_client, method)(detail(heat), bad_body, HTTP_IF_MATCH='"0"')
    assert (response.status_code, response.json()["code"]) == (412, "precondition_failed")
    settings.REQUIRE_IF_MATCH = True
    response = getattr(admin_client, method)(detail(heat), bad_body)
    assert (response.status_code, response.json()["code"]) == (428, "precondition_required")


@pytest.mark.django_db
def test_a_page_of_history_costs_a_fixed_number_of_queries(
    admin_client, heat, django_assert_max_num_queries
):
    for rating in range(30, 50):
        admin_client.patch(detail(heat), {"rating": rating / 10})
    # The page's predecessors come from the page itself: not one query per version.
    with django_assert_max_num_queries(6):
        versions = admin_client.get(f"{detail(heat)}history/").json()["results"]
    assert len(versions) == 20
    assert versions[0]["changes"] == {"rating": [4.8, 4.9]}
    # The page's oldest: its predecessor (the create) is on the next page, read on its own.
    assert versions[-1]["changes"] == {"rating": [8.3, 3.0]}
