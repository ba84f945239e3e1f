"""Throttled endpoints tell their budget in the RateLimit fields (IETF draft "RateLimit header
fields for HTTP"), on every answer, 429s included; other endpoints send none."""

import datetime as dt

import pytest
import time_machine

from tests.helpers import PASSWORD, bearer_client, login_pair

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
# 15 s into a minute: a fixed window of 60 s has 45 s left.
FROZEN = dt.datetime(2030, 1, 1, 12, 0, 15, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def attempt(client, email, password="wrong password"):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR="10.0.0.7")


@pytest.mark.django_db
def test_a_login_tells_what_is_left_of_each_limit(api_client, admin_user, clock):
    policy = '"pair";q=5;w=60, "address";q=20;w=60'
    for left in (4, 3, 2, 1, 0):
        response = attempt(api_client, admin_user.email)
        assert response.status_code == 401
        assert response["RateLimit-Policy"] == policy
        assert response["RateLimit"] == f'"pair";r={left};t=45, "address";r={left + 15};t=45'
    refused = attempt(api_client, admin_user.email, password=PASSWORD)
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert refused["RateLimit-Policy"] == policy
    assert refused["RateLimit"] == '"pair";r=0;t=45, "address";r=14;t=45'
    clock.shift(45)  # the next window
    success = attempt(api_client, admin_user.email, password=PASSWORD)
    assert success.status_code == 200
    assert success["RateLimit"] == '"pair";r=4;t=60, "address";r=19;t=60'


@pytest.mark.django_db
def test_a_login_without_an_email_has_only_the_address_limit(api_client, clock):
    response = api_client.post(LOGIN, {"password": "x"}, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 400
    assert response["RateLimit-Policy"] == '"address";q=20;w=60'
    assert response["RateLimit"] == '"address";r=19;t=45'


@pytest.mark.django_db
def test_a_refresh_tells_its_per_address_budget(api_client, admin_user, clock):
    token = login_pair(admin_user).refresh.value  # REFRESH_THROTTLE_RATE: 30/min by default
    answers = []
    for _ in range(31):
        response = api_client.post(REFRESH, {"refresh_token": token}, REMOTE_ADDR="10.0.0.9")
        if response.status_code == 200:
            token = response.json()["refresh_token"]
        assert response["RateLimit-Policy"] == '"refresh";q=30;w=60'
        answers.append((response.status_code, response["RateLimit"]))
        clock.shift(1)
    # A sliding window: the quota comes back as the first attempt leaves it, 60 s after it.
    assert answers[:2] == [(200, '"refresh";r=29;t=60'), (200, '"refresh";r=28;t=59')]
    assert answers[29:] == [(200, '"refresh";r=0;t=31'), (429, '"refresh";r=0;t=30')]


@pytest.mark.django_db
def test_the_password_endpoint_tells_the_login_limits_and_the_catalog_none(admin_user, clock):
    client = bearer_client(login_pair(admin_user).access.value)
    wrong = {"current_password": "not it", "new_password": "An0ther-long-pass"}
    response = client.post("/api/auth/password/", wrong, format="json")
    assert response.status_code == 400
    assert response["RateLimit-Policy"] == '"pair";q=5;w=60, "address";q=20;w=60'
    catalog = client.get("/api/movies/")
    assert catalog.status_code == 200
    assert "RateLimit" not in catalog
    assert "RateLimit-Policy" not in catalog
