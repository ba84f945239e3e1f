"""Pages of GET /api/movies/ at any depth: a bounded count, page numbers capped, keyset cursors.

The count limit is lowered for these tests (it is 10 000 in production), so a few dozen movies
stand for a large catalog.
"""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.pagination import Keyset, StrictPageNumberPagination
from movies.models import Movie

LIST = "/api/movies/"
LIMIT = 10
ORDERINGS = [
    None,
    *(f"{sign}{key}" for key in ("title", "year", "rating", "created_at") for sign in ("", "-")),
    "-rating,title",
    "year,-created_at",
]


@pytest.fixture
def count_limit(monkeypatch):
    monkeypatch.setattr(StrictPageNumberPagination, "count_limit", LIMIT)
    return LIMIT


@pytest.fixture
def many_ties(make_movie):
    """37 movies whose titles, years, ratings and creation times repeat, so only the id
    tie-breaker tells some of them apart."""
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with time_machine.travel(created, tick=False) as clock:
        for number in range(37):
            if number % 5 == 0:
                clock.shift(1)
            make_movie(
                title=f"Film {number % 7}",
                year=1990 + number % 11,
                rating=Decimal(number % 4) + Decimal("0.5"),
            )
    return set(Movie.objects.values_list("pk", flat=True))


def walk(client, url: str, link: str = "next") -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["mode"], body["count"], body["count_exact"]) == ("cursor", None, None)
        # The typed field is the cursor the link carries: a client need not parse the link.
        cursor = body[f"{link}_cursor"]
        linked = body[link] and parse_qs(urlsplit(body[link]).query)["cursor"][0]
        assert linked == cursor or linked is cursor is None
        pages.append([movie["id"] for movie in body["results"]])
        url = body[link]
    return pages


def expected_order(ordering: str | None) -> list[int]:
    if not ordering:
        return expected_order("title")
    terms = ordering.split(",")
    terms.append("-id" if terms[-1].startswith("-") else "id")
    return list(Movie.objects.order_by(*terms).values_list("pk", flat=True))


@pytest.mark.django_db
def test_count_is_exact_up_to_the_limit(admin_client, make_movie, count_limit):
    for number in range(LIMIT):
        make_movie(title=f"Film {number}")
    body = admin_client.get(f"{LIST}?page_size=3").json()
    assert (body["count"], body["count_exact"]) == (LIMIT, True)
    last = admin_client.get(f"{LIST}?page_size=3&page=last").json()
    assert [movie["title"] for movie in last["results"]] == ["Film 9"]
    assert last["next"] is None


@pytest.mark.django_db
def test_above_the_limit_count_is_a_flagged_lower_bound(admin_client, many_ties, count_limit):
    body = admin_client.get(f"{LIST}?page_size=3").json()
    assert (body["count"], body["count_exact"]) == (LIMIT, False)
    assert "page=2" in body["next"]
    filtered = admin_client.get(f"{LIST}?rating_min=1").json()
    assert (filtered["count"], filtered["count_exact"]) == (LIMIT, False)
    few = admin_client.get(f"{LIST}?year_max=1991").json()
    assert few["count_exact"] is True
    assert few["count"] == Movie.objects.filter(year__lte=1991).count() == 8


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["page=5&page_size=3", "page=3&page_size=5", "page=last"])
def test_page_numbers_beyond_the_limit_are_a_404_pointing_to_the_cursor(
    admin_client, many_ties, count_limit, query
):
    response = admin_client.get(f"{LIST}?{query}")
    assert response.status_code == 404
    message = response.json()["detail"]
    assert "first 10 results" in message
    assert "cursor" in message


@pytest.mark.django_db
def test_the_deepest_numbered_page_is_full_and_its_next_link_carries_on_with_a_cursor(
    admin_client, many_ties, count_limit
):
    # Page 4 of 3 starts at row 9, the last one a page number reaches (limit 10).
    deepest = admin_client.get(f"{LIST}?page=4&page_size=3&ordering=-year").json()
    assert len(deepest["results"]) == 3
    assert "cursor=" in deepest["next"]
    assert "page=" not in deepest["next"]
    assert (deepest["mode"], deepest["previous_cursor"]) == ("page", None)
    assert parse_qs(urlsplit(deepest["next"]).query)["cursor"] == [deepest["next_cursor"]]
    numbered = [
        movie["id"]
        for page in range(1, 5)
        for movie in admin_client.get(f"{LIST}?page={page}&page_size=3&ordering=-year").json()[
            "results"
        ]
    ]
    rest = [movie_id for page in walk(admin_client, deepest["next"]) for movie_id in page]
    assert numbered + rest == expected_order("-year")


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_cursor_walk_visits_every_movie_once_in_order_both_ways(
    admin_client, many_ties, ordering
):
    query = f"?cursor=&page_size=4{f'&ordering={ordering}' if ordering else ''}"
    pages = walk(admin_client, LIST + query)
    forward = [movie_id for page in pages for movie_id in page]
    assert forward == expected_order(ordering)
    assert len(set(forward)) == len(many_ties)
    assert all(len(page) == 4 for page in pages[:-1])

    last_page_url = LIST + query
    for _ in pages[:-1]:
        last_page_url = admin_client.get(last_page_url).json()["next"]
    backward = walk(admin_client, last_page_url, link="previous")
    assert backward == pages[::-1]


@pytest.mark.django_db
def test_cursor_pages_need_no_count(admin_client, many_ties, django_assert_num_queries):
    first = admin_client.get(f"{LIST}?cursor=&page_size=5").json()
    assert first["previous"] is None
    # One read of the token's user, one page of rows.
    with django_assert_num_queries(2):
        response = admin_client.get(first["next"])
    assert len(response.json()["results"]) == 5


def _unsigned(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _altered(cursor: str) -> str:
    """The cursor with one character of its payload changed."""
    return ("A" if cursor[0] != "A" else "B") + cursor[1:]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_cursor",
    [
        lambda valid, other: "not-a-cursor",
        lambda valid, other: "%%%",
        lambda valid, other: "e30",  # {}
        lambda valid, other: "[" * 100_000,
        # What a cursor used to be, unsigned: base64url of its JSON.
        lambda valid, other: _unsigned({"o": ["title", "id"], "v": ["x", "1"], "b": False}),
        lambda valid, other: _unsigned({"o": ["title", "id"], "v": ["\x00", "1"], "b": False}),
        lambda valid, other: _altered(valid),
        lambda valid, other: valid.rpartition(":")[0],  # no signature
        lambda valid, other: valid + "x",
        lambda valid, other: other,  # the cursor of another ordering
        lambda valid, other: signing.dumps({"o": ["title", "id"], "v": ["x", "1"], "b": False}),
        lambda valid, other: signing.dumps(
            {"o": ["title", "id"], "v": ["x", "1"], "b": False},
            key="another-secret-key-0123456789-0123456789-0123456789",
            salt="common.pagination.cursor",
        ),
    ],
)
def test_a_cursor_this_server_did_not_make_for_this_list_is_a_404(
    admin_client, many_ties, make_cursor
):
    # Cursors are signed: an altered, hand-made or foreign one names no position.
    valid = admin_client.get(LIST, {"cursor": "", "ordering": "title"}).json()["next_cursor"]
    other = admin_client.get(LIST, {"cursor": "", "ordering": "-year"}).json()["next_cursor"]
    assert admin_client.get(LIST, {"cursor": valid, "ordering": "title"}).status_code == 200
    response = admin_client.get(LIST, {"cursor": make_cursor(valid, other), "ordering": "title"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_with_a_cursor_the_page_number_is_not_read(admin_client, many_ties):
    # Both parameters are in the schema with nothing tying them; the cursor decides.
    response = admin_client.get(f"{LIST}?cursor=&page=2")
    assert response.status_code == 200
    assert response.json() == admin_client.get(f"{LIST}?cursor=").json()
    assert response.json()["mode"] == "cursor"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("title", "movie_title_id_idx"),
        ("-title", "movie_title_id_idx"),
        ("year", "movie_year_id_idx"),
        ("-rating", "movie_rating_id_idx"),
        ("created_at", "movie_created_id_idx"),
    ],
)
def test_a_deep_cursor_page_reads_the_ordering_index(admin_client, make_movie, ordering, index):
    """The database plans the page as a range read of the (key, id) index, not a sort of the
    table: EXPLAIN of the exact query the request ran."""
    Movie.objects.bulk_create(
        Movie(
            title=f"Film {n:05}",
            year=1900 + n % 120,
            rating=Decimal(n % 101) / 10,
            category="Drama",
        )
        for n in range(5_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE movies_movie")
    middle = Movie.objects.order_by(ordering, "id")[2_500]
    # The cursor the server makes for the middle of the catalog.
    cursor = Keyset.of(Movie.objects.order_by(ordering)).encode(middle, backwards=False)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(LIST, {"cursor": cursor, "ordering": ordering})
    assert response.status_code == 200
    page_sql = captured.captured_queries[-1]["sql"]
    assert "movies_movie" in page_sql
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + page_sql)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert index in plan, plan
    assert "Sort" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
