"""``?search=`` on GET /api/movies/: ranked full-text search on PostgreSQL, a fallback on SQLite.

Each test runs on whichever database the suite uses and states what that database answers, so
both CI passes check their own behaviour (movies/search.py).
"""

import pytest
from django.db import connection

from tests.helpers import movie_titles as titles

LIST = "/api/movies/?search="


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def catalog(make_movie):
    make_movie(title="Aliens", overview="Colonial marines return to the planet of the creature.")
    make_movie(title="Avatar", overview="A marine on the moon Pandora.")
    make_movie(title="Acción mutante", overview="Un comando secuestra a una heredera.")
    make_movie(title="Marine Boy", overview="A boy dives for his marine friends, marine life.")
    make_movie(title="Heat", overview="A detective chases a crew of thieves.")


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["acción", "Acción", "ACCIÓN MUTANTE", "accion", "ACCION"])
def test_search_ignores_case_and_on_postgresql_accents(admin_client, catalog, text):
    found = titles(admin_client.get(LIST + text))
    # SQLite's LIKE folds ASCII letters only: its "ó" matches "ó" and nothing else.
    matches = on_postgresql() or "ó" in text
    assert found == (["Acción mutante"] if matches else [])


@pytest.mark.django_db
def test_a_word_start_finds_the_whole_word(admin_client, catalog):
    assert set(titles(admin_client.get(LIST + "marin"))) == {"Aliens", "Avatar", "Marine Boy"}
    assert titles(admin_client.get(LIST + "detect")) == ["Heat"]


@pytest.mark.django_db
def test_every_word_must_match(admin_client, catalog):
    assert titles(admin_client.get(LIST + "marine pandora")) == ["Avatar"]
    assert titles(admin_client.get(LIST + "marine thieves")) == []


@pytest.mark.django_db
def test_results_are_ordered_by_relevance_on_postgresql(admin_client, catalog):
    found = titles(admin_client.get(LIST + "marine"))
    if on_postgresql():
        # A title word weighs more than overview words; more occurrences more than fewer.
        assert found[0] == "Marine Boy"
        assert set(found[1:]) == {"Aliens", "Avatar"}
    else:
        assert found == ["Aliens", "Avatar", "Marine Boy"]  # the list's usual title order


@pytest.mark.django_db
def test_equally_relevant_results_are_in_id_order(admin_client, make_movie):
    ids = [make_movie(title=f"Film {n}", overview="same words").pk for n in (3, 1, 2)]
    response = admin_client.get(LIST + "words")
    found = [movie["id"] for movie in response.json()["results"]]
    assert found == (ids if on_postgresql() else [ids[1], ids[2], ids[0]])


@pytest.mark.django_db
def test_an_explicit_ordering_replaces_relevance(admin_client, catalog):
    response = admin_client.get(LIST + "marine&ordering=-title")
    assert titles(response) == ["Marine Boy", "Avatar", "Aliens"]


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "&|!():*<->", "'", "\\"])
def test_a_search_without_words_filters_nothing(admin_client, catalog, text):
    response = admin_client.get(LIST, {"search": text})
    assert response.json()["count"] == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("marine & !avatar", {"Avatar"}),
        ("marine:* | heat", set()),
        ("(marine)", {"Aliens", "Avatar", "Marine Boy"}),
    ],
)
def test_query_syntax_in_the_text_is_read_as_words(admin_client, catalog, text, expected):
    assert set(titles(admin_client.get(LIST, {"search": text}))) == expected


@pytest.mark.django_db
def test_search_combines_with_filters_and_cursor_pages(admin_client, catalog, make_movie):
    make_movie(title="Marine Corps", year=1980, overview="")
    first = admin_client.get(LIST + "marine&year_min=1990&cursor=&page_size=1").json()
    seen = [movie["title"] for movie in first["results"]]
    page = first
    while page["next"]:
        page = admin_client.get(page["next"]).json()
        seen += [movie["title"] for movie in page["results"]]
    # Cursors follow the list's order (title by default), not relevance.
    assert seen == ["Aliens", "Avatar", "Marine Boy"]


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["shawshenk", "Shawshank Redemtion"])
def test_a_misspelt_title_is_found_on_postgresql_only(admin_client, make_movie, text):
    make_movie(title="The Shawshank Redemption", overview="Two men find hope in prison.")
    found = titles(admin_client.get(LIST + text))
    # SQLite has no trigrams: a word no movie has finds nothing there.
    assert found == (["The Shawshank Redemption"] if on_postgresql() else [])


@pytest.mark.django_db
def test_a_search_with_a_few_matches_counts_them_exactly(admin_client, make_movie):
    for number in range(3):
        make_movie(title=f"Zulu {number}", overview="")
    page = admin_client.get(LIST + "zulu&page_size=2").json()
    assert [movie["title"] for movie in page["results"]] == ["Zulu 0", "Zulu 1"]
    assert (page["count"], page["count_exact"]) == (3, True)
