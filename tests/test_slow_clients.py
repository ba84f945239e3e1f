"""Slow clients are the balancer's problem, never a worker's: behind HAProxy (deploy/haproxy.cfg,
with this test's ports), 50 slowloris connections and 10 slow bodies held open against two
single-worker app servers fail no request of a steady client, and each slow one gets the
balancer's 408 once `timeout http-request` (5 s) runs out: JSON for a slow body; HAProxy's own
page for headers that never end (no path to judge by yet). Runs in both CI passes."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.balanced import balanced_system, call

SLOWLORIS = 50
SLOW_BODIES = 10
REQUEST_TIMEOUT = 5  # deploy/haproxy.cfg: timeout http-request


@pytest.fixture
def system(tmp_path):
    # One worker of one thread per server: two slow requests reaching them would stop both.
    with balanced_system(
        tmp_path, workers=1, threads=1, signing_keys="k:" + "slow-key-" * 6
    ) as system:
        yield system


def _open(address) -> socket.socket:
    sock = socket.create_connection(address, timeout=REQUEST_TIMEOUT * 4)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _dribble(sockets: list[socket.socket], chunks, stop: threading.Event) -> None:
    """Send each socket one more piece every half second, as a slow client does, until it is
    closed or the test ends."""
    for chunk in chunks:
        if stop.is_set():
            return
        for sock in sockets:
            # A socket the balancer closed (its 408) takes nothing more.
            with contextlib.suppress(OSError):
                sock.sendall(chunk)
        stop.wait(0.5)  # the slow client's pace, not a wait for an event


def _answer(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except OSError:
        pass
    return received


def test_slow_clients_hold_no_worker_and_get_a_json_408(system):
    address = urlsplit(system.balancer)
    address = (address.hostname, address.port)
    slowloris = [_open(address) for _ in range(SLOWLORIS)]
    slow_bodies = [_open(address) for _ in range(SLOW_BODIES)]
    for sock in slowloris:
        sock.sendall(b"GET /api/movies/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for sock in slow_bodies:
        sock.sendall(
            b"POST /api/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
    stop = threading.Event()
    senders = [
        threading.Thread(
            target=_dribble,
            args=(slowloris, (f"X-Slow-{n}: x\r\n".encode() for n in range(1000)), stop),
        ),
        threading.Thread(target=_dribble, args=(slow_bodies, (b" " for _ in range(1000)), stop)),
    ]
    for sender in senders:
        sender.start()

    # Meanwhile, a steady client: every request answered, by both servers.
    token = system.login()
    answers = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < REQUEST_TIMEOUT + 2:
            try:
                answers.append(call(f"{system.balancer}/api/movies/", token=token)[:2])
            except OSError as error:  # a request that got no answer counts as a failure
                answers.append((0, repr(error)))
        slow_answers = [_answer(sock) for sock in slowloris + slow_bodies]
    finally:
        stop.set()
        for sender in senders:
            sender.join()
        for sock in slowloris + slow_bodies:
            sock.close()

    assert {status for status, _ in answers} == {200}, [a for a in answers if a[0] != 200]
    assert {served_by for _, served_by in answers} == {"app1", "app2"}
    for answer in slow_answers:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    # A request whose headers never end has no path yet: HAProxy answers it with its own page.
    # A slow body, under /api/ as every body is: the API's JSON (deploy/haproxy.cfg).
    for answer in slow_answers[SLOWLORIS:]:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"content-type: application/json" in head.lower(), head
        assert json.loads(body)["code"] == "request_timeout"


def test_the_balancers_own_errors_are_json(system):
    # With both servers gone, the balancer answers for them: the API's 503, as JSON.
    for name in ("app1", "app2"):
        system.stop(name)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{system.balancer}/api/movies/", timeout=20)
    # A failing dependency: the API's 503, with when to try again.
    assert (refused.value.code, refused.value.headers["Retry-After"]) == (503, "5")
    assert json.loads(refused.value.read())["code"] == "service_unavailable"
