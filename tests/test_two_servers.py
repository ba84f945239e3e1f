"""Two app servers, one system: two gunicorn instances behind a real HAProxy (deploy/haproxy.cfg,
with this test's ports), sharing one throwaway PostgreSQL database and one Redis of its own.

Through the balancer: a logout one instance handled is honoured by the other, the login limit is
counted once for both, and a rolling restart of each instance in turn with a rotated signing key
fails no request of a client that keeps reading. Runs in both CI passes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from urllib.parse import quote

import jwt
import pytest

from tests.balanced import ADMIN_EMAIL, balanced_system, call

LOGIN_RATE = 6
OLD_KEY = "old:" + "old-signing-key-" * 3
NEW_KEY = "new:" + "new-signing-key-" * 3


@pytest.fixture
def system(tmp_path):
    with balanced_system(
        tmp_path,
        workers=1,
        threads=2,
        signing_keys=OLD_KEY,
        env={"LOGIN_THROTTLE_RATE": f"{LOGIN_RATE}/min"},
    ) as system:
        yield system


def test_two_instances_behind_haproxy_behave_as_one_system(system):
    me = f"{system.balancer}/api/auth/me/"

    # A logout handled by one instance is refused by the other on the next request.
    token = system.login()
    status, _, _ = call(f"{system.balancer}/api/auth/logout/", "POST", token=token)
    assert status == 204
    answers = [call(me, token=token)[:2] for _ in range(4)]
    assert {served_by for _, served_by in answers} == {"app1", "app2"}
    assert {status for status, _ in answers} == {401}

    # A rolling restart with a rotated key fails no request of a steady client.
    old_token = system.login()
    statuses: list[tuple[int, str]] = []
    stop = threading.Event()

    def steady_client():
        while not stop.is_set():
            try:
                statuses.append(call(f"{system.balancer}/api/movies/", token=old_token)[:2])
            except OSError as error:  # a connection the balancer dropped counts as a failure
                statuses.append((0, repr(error)))

    client = threading.Thread(target=steady_client)
    client.start()
    try:
        for name in ("app1", "app2"):
            before = len(statuses)
            system.stop(name)
            system.start(name, f"{NEW_KEY},{OLD_KEY}")
            system.wait_until_in_rotation(name)
            assert len(statuses) > before  # the client kept going while this one restarted
    finally:
        stop.set()
        client.join()
    assert {status for status, _ in statuses} == {200}, [s for s in statuses if s[0] != 200]
    assert {served_by for _, served_by in statuses} == {"app1", "app2"}

    # New tokens are signed with the new key; both kinds work on both instances.
    new_token = system.login()
    assert jwt.get_unverified_header(new_token)["kid"] == "new"
    for each_token in (old_token, new_token):
        answers = [call(me, token=each_token)[:2] for _ in range(4)]
        assert {status for status, _ in answers} == {200}
        assert {served_by for _, served_by in answers} == {"app1", "app2"}

    # The login limit is counted once for both instances, in the shared Redis: at most
    # LOGIN_RATE attempts in a fixed window however the balancer spreads them, where two counters
    # of their own would let through twice as many. The attempts may straddle a window boundary
    # (a slow machine), so each is placed in the window the clock gave before and after it; one
    # placed in neither for sure is counted in none.
    attempts = []
    for _ in range(2 * LOGIN_RATE + 1):  # at most two windows' worth before a 429
        before = int(time.time()) // 60
        status, served_by, _ = call(
            f"{system.balancer}/api/auth/login/",
            "POST",
            {"email": ADMIN_EMAIL, "password": "a wrong guess"},
        )
        after = int(time.time()) // 60
        attempts.append((status, served_by, before if before == after else None))
        if status == 429:
            break
    assert attempts[-1][0] == 429, attempts
    assert {status for status, _, _ in attempts[:-1]} <= {401}, attempts
    per_window = Counter(window for status, _, window in attempts if status == 401)
    per_window.pop(None, None)
    assert max(per_window.values(), default=0) <= LOGIN_RATE, attempts
    assert {served_by for _, served_by, _ in attempts} == {"app1", "app2"}


def _first_request_through(system, proxy, method, path, bodies, token):
    """Send requests one at a time until one reaches app1's link, which closes it unanswered
    (as a worker killed mid-request does); returns that request's answer and body."""
    proxy.cut_on(f"{method} {path}".encode())
    for body in bodies:
        answer = call(f"{system.balancer}{path}", method, body, token=token)
        if proxy.trigger is None:
            return answer, body
    raise AssertionError("no request went to app1")


def test_the_balancer_replays_a_read_on_the_other_server_never_a_write(tmp_path):
    with balanced_system(
        tmp_path, workers=1, threads=2, signing_keys=OLD_KEY, proxied=("app1",)
    ) as system:
        proxy, token = system.proxies["app1"], system.login()
        films = ({"title": f"Sent once {n}", "year": 2001, "rating": 5.0} for n in range(10))
        (status, _, body), film = _first_request_through(
            system, proxy, "POST", "/api/movies/", films, token
        )
        # The server may have acted on it: the client is told, and decides (Idempotency-Key).
        assert (status, body["code"]) == (502, "service_unavailable")
        found = call(f"{system.balancer}/api/movies/?search={quote(film['title'])}", token=token)
        assert found[2]["count"] == 0  # app1 never got it; app2 was not sent it

        proxy.restore()
        system.wait_until_in_rotation("app1", "app2")
        (status, served_by, _), _ = _first_request_through(
            system, proxy, "GET", "/api/movies/", [None] * 10, token
        )
        assert (status, served_by) == (200, "app2")
