"""Relevance of ``?search=`` on PostgreSQL, asserted through HTTP on each index that can serve it:
RUM (where the rum extension is installed, as CI installs it) and GIN (``SEARCH_INDEX = "gin"``,
or no RUM index). Both must answer the same movies in the same order.

The labelled set: an equal title first; title words before overview words; the shorter title
before a longer one with the word; accents and case ignored; the start of the last word while
typing; titles similar to a typo when no movie has the words. SQLite's plainer search is
tests/test_movie_search.py.
"""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from movies.models import Movie
from movies.search import RUM_INDEX_NAME, announce_search_index, rum_index_exists
from tests.helpers import movie_titles, require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LIST = "/api/movies/"
REACH = 1_000  # StrictPageNumberPagination.ranked_count_limit, stated here as the API states it


@pytest.fixture(params=["rum", "gin"])
def index(request, settings):
    """Each test once per index; RUM must be there under CI (.ci/run installs it)."""
    settings.SEARCH_INDEX = "auto" if request.param == "rum" else "gin"
    if request.param == "rum":
        require(rum_index_exists(connection.alias), "the rum extension (postgresql-15-rum)")
    return request.param


def titles(client, **params) -> list[str]:
    return movie_titles(client.get(LIST, {"page_size": 100, **params}))


@pytest.fixture
def aliens(make_movie):
    # Overviews without the word, so that only the titles decide (but for "Space Trucker").
    for title in ("Alien Resurrection", "Aliens", "The Alien Covenant", "Alien", "Alien vs Alien"):
        make_movie(title=title, overview="A ship, a crew, a creature.")
    make_movie(title="Space Trucker", overview="An alien cargo goes missing.")
    make_movie(title="Heat", overview="A detective chases a crew of thieves.")


EXPECTED_ALIEN = [
    "Alien",  # the title equal to the text
    "Alien vs Alien",  # the word twice in the title
    "Aliens",  # once in the title ("alien" starts "aliens"): shorter titles first,
    "Alien Resurrection",  # then, at the same length, the older movie
    "The Alien Covenant",
    "Space Trucker",  # an overview word only
]


@pytest.mark.parametrize("text", ["alien", "Alien", "ALIEN", "álien", "ÁLIEN "])
def test_an_equal_title_first_then_title_words_shorter_titles_and_overview_words(
    admin_client, aliens, index, text
):
    assert titles(admin_client, search=text) == EXPECTED_ALIEN


def test_the_last_word_may_be_the_start_of_one_as_while_typing(admin_client, make_movie, index):
    make_movie(title="The Godfather", overview="The aging head of a crime dynasty.")
    make_movie(title="The Godfather Part II", overview="The early life of Vito Corleone.")
    make_movie(title="Godzilla", overview="A monster rises.")
    assert titles(admin_client, search="the godf") == ["The Godfather", "The Godfather Part II"]
    assert titles(admin_client, search="godfather pa") == ["The Godfather Part II"]
    assert titles(admin_client, search="god") == [
        "Godzilla",
        "The Godfather",
        "The Godfather Part II",
    ]


@pytest.fixture
def classics(make_movie):
    make_movie(title="The Shawshank Redemption", overview="Two men find hope in prison.")
    make_movie(title="El padrino", overview="La familia Corleone.")
    make_movie(title="Padrinos de boda", overview="Two friends crash weddings.")
    make_movie(title="Shanghai Noon", overview="A cowboy in China.")


@pytest.mark.parametrize("text", ["shawshenk", "Shawshank Redemtion", "SHAWSHANK REDEMPSION"])
def test_a_misspelt_title_finds_the_title_when_no_movie_has_the_words(
    admin_client, classics, index, text
):
    assert titles(admin_client, search=text) == ["The Shawshank Redemption"]


def test_similar_titles_come_most_similar_first_and_only_when_no_movie_has_the_words(
    admin_client, classics, index
):
    # "padrino" is a word of one title and starts a word of another: those, by relevance.
    assert titles(admin_client, search="padrino") == ["El padrino", "Padrinos de boda"]
    # "el padrinno" is in no movie: the similar titles, the closest first.
    assert titles(admin_client, search="el padrinno")[0] == "El padrino"
    # Nothing close: nothing.
    assert titles(admin_client, search="zeppelin") == []


def test_similar_titles_obey_the_other_filters(admin_client, classics, make_movie, index):
    make_movie(title="The Shawshank Redemption", year=1970, overview="A remake nobody saw.")
    found = admin_client.get(LIST, {"search": "shawshenk", "year_max": 1980}).json()["results"]
    assert [(movie["title"], movie["year"]) for movie in found] == [
        ("The Shawshank Redemption", 1970)
    ]


def test_pages_of_a_ranked_search_are_one_order_without_repeats(admin_client, make_movie, index):
    for number in range(45):
        make_movie(title=f"Film {number % 7}", year=1990 + number, overview="same words")
    whole = admin_client.get(LIST, {"search": "words", "page_size": 100}).json()["results"]
    paged, url = [], f"{LIST}?search=words&page_size=7"
    while url:
        page = admin_client.get(url).json()
        paged += page["results"]
        url = page["next"]
    assert [movie["id"] for movie in paged] == [movie["id"] for movie in whole]
    # Equally relevant, equally long: in id order.
    assert [movie["id"] for movie in whole] == sorted(movie["id"] for movie in whole)
    assert len(whole) == 45


def bulk_movies(count: int, **fields) -> None:
    Movie.objects.bulk_create(
        Movie(year=2000, rating=5, category="Drama", overview="", **fields, title=f"Marine {n}")
        for n in range(count)
    )


def test_page_numbers_reach_the_most_relevant_results_and_cursors_every_match(admin_client, index):
    bulk_movies(REACH + 5)
    first = admin_client.get(LIST, {"search": "marine"}).json()
    assert (first["count"], first["count_exact"]) == (REACH, False)
    last = admin_client.get(LIST, {"search": "marine", "page": REACH // 20}).json()
    assert len(last["results"]) == 20
    # Nothing follows the last page a number reaches: an order by relevance has no cursor.
    assert last["next"] is None
    deeper = admin_client.get(LIST, {"search": "marine", "page": REACH // 20 + 1})
    assert deeper.status_code == 404
    assert f"first {REACH} results of an order by relevance" in deeper.json()["detail"]
    assert "give an ordering" in deeper.json()["detail"]
    seen, url = 0, f"{LIST}?search=marine&cursor=&page_size=100"
    while url:
        page = admin_client.get(url).json()
        seen += len(page["results"])
        url = page["next"]
    assert seen == REACH + 5


def test_with_more_title_matches_than_page_numbers_reach_they_alone_are_reached(
    admin_client, make_movie, index
):
    bulk_movies(REACH + 5)
    in_overviews = {
        make_movie(title=f"Harbour {n}", overview=" ".join(["marine"] * 30)).pk for n in range(3)
    }
    seen, url = set(), f"{LIST}?search=marine&page_size=100"
    while url:
        page = admin_client.get(url).json()
        seen |= {movie["id"] for movie in page["results"]}
        url = page["next"]
    assert len(seen) == REACH
    assert not seen & in_overviews
    # Several words: rank weighs how close they are, so overviews compete with titles.
    make_movie(title="Tide", overview="marine biology " * 20)
    assert titles(admin_client, search="marine biology")[0] == "Tide"


def test_a_ranked_search_with_fewer_matches_counts_them_exactly(admin_client, index):
    bulk_movies(30)
    page = admin_client.get(LIST, {"search": "marine"}).json()
    assert (page["count"], page["count_exact"], page["next"]) == (30, True, LIST_NEXT_PAGE_2)


LIST_NEXT_PAGE_2 = "http://testserver/api/movies/?page=2&search=marine"


def test_the_ranked_search_reads_the_index_it_says(admin_client, aliens, index, caplog):
    announce_search_index.cache_clear()
    with (
        caplog.at_level(logging.INFO, logger="movies.search"),
        CaptureQueriesContext(connection) as captured,
    ):
        titles(admin_client, search="alien")
    reads_in_rank_order = any("<=>" in query["sql"] for query in captured.captured_queries)
    assert reads_in_rank_order == (index == "rum")
    assert f"reads the {index.upper()} index" in caplog.text


@pytest.fixture
def without_rum_index():
    """The RUM index dropped (inside the test's transaction, so only for this test)."""
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{RUM_INDEX_NAME}"')
    rum_index_exists.cache_clear()
    announce_search_index.cache_clear()
    yield
    rum_index_exists.cache_clear()
    announce_search_index.cache_clear()


def test_without_the_rum_index_search_keeps_to_gin_with_the_same_answers(
    admin_client, aliens, settings, without_rum_index, caplog
):
    settings.SEARCH_INDEX = "auto"
    with (
        caplog.at_level(logging.INFO, logger="movies.search"),
        CaptureQueriesContext(connection) as captured,
    ):
        found = titles(admin_client, search="alien")
    assert found == EXPECTED_ALIEN
    assert not any("<=>" in query["sql"] for query in captured.captured_queries)
    assert "reads the GIN index" in caplog.text
    assert "the rum extension was not there" in caplog.text
