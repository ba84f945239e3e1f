"""Django admin for movies: changelist, search, filters and the CSV export action."""

import csv
import io
from decimal import Decimal

import pytest


@pytest.fixture
def staff_client(client, admin_user):
    # A plain admin (is_staff) with no model permissions granted: that is enough for the catalog.
    client.force_login(admin_user)
    return client


@pytest.fixture
def films(make_movie):
    return [
        make_movie(
            title="Metropolis", year=1927, category="Ciencia ficción", rating=Decimal("8.3")
        ),
        make_movie(title="Psycho", year=1960, category="Terror", rating=Decimal("8.5")),
        make_movie(title="Plan 9", year=1957, category="Terror", rating=Decimal("3.9")),
        make_movie(
            title="=HYPERLINK(1)", year=2001, category="Drama", rating=Decimal("6.0"), overview="x"
        ),
    ]


def changelist_titles(response) -> list[str]:
    assert response.status_code == 200
    return sorted(movie.title for movie in response.context["cl"].result_list)


URL = "/admin/movies/movie/"


@pytest.mark.django_db
def test_changelist_shows_columns_and_filters(staff_client, films):
    response = staff_client.get(URL)
    assert changelist_titles(response) == sorted(film.title for film in films)
    page = response.content.decode()
    for column in ("Title", "Year", "Category", "Rating", "Updated at"):
        assert column in page
    for filter_title in ("By category", "By decade", "By rating"):
        assert filter_title in page
    assert "1950\N{EN DASH}1959" in page
    assert "1920\N{EN DASH}1929" in page


@pytest.mark.django_db
def test_changelist_search_looks_in_title_and_overview(staff_client, films, make_movie):
    make_movie(title="Quiet", overview="A psycho thriller")
    assert changelist_titles(staff_client.get(URL, {"q": "psycho"})) == ["Psycho", "Quiet"]


@pytest.mark.django_db
def test_changelist_filters(staff_client, films):
    assert changelist_titles(staff_client.get(URL, {"category": "Terror"})) == ["Plan 9", "Psycho"]
    assert changelist_titles(staff_client.get(URL, {"decade": "1950"})) == ["Plan 9"]
    assert changelist_titles(staff_client.get(URL, {"rating_band": "high"})) == [
        "Metropolis",
        "Psycho",
    ]
    assert changelist_titles(staff_client.get(URL, {"rating_band": "low"})) == ["Plan 9"]


@pytest.mark.django_db
def test_timestamps_are_read_only_in_the_form(staff_client, films):
    page = staff_client.get(f"{URL}{films[0].pk}/change/").content.decode()
    assert 'name="created_at"' not in page
    assert "Created at" in page


@pytest.mark.django_db
def test_csv_export_of_selected_movies(staff_client, films):
    selected = [films[1].pk, films[3].pk]
    response = staff_client.post(
        URL, {"action": "export_csv", "_selected_action": selected, "index": 0}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["id", "title", "year", "category", "rating"]
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(1)", "Psycho"]
    assert rows[2][2:5] == ["1960", "Terror", "8.5"]


@pytest.mark.django_db
def test_admin_adds_a_movie_through_the_form(staff_client):
    response = staff_client.post(
        f"{URL}add/",
        {"title": "Heat", "overview": "", "year": 1995, "rating": "8.3", "category": "Crimen"},
    )
    assert response.status_code == 302
    duplicate = staff_client.post(
        f"{URL}add/",
        {"title": "HEAT", "overview": "", "year": 1995, "rating": "8.3", "category": "Crimen"},
    )
    assert duplicate.status_code == 200
    assert "already exists" in duplicate.content.decode()


@pytest.mark.django_db
def test_non_staff_cannot_open_the_admin(client, regular_user):
    client.force_login(regular_user)
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
