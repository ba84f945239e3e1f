"""``make soak``: a chaos soak of the production topology. Not part of ``make test``; CI runs a
60-second version (``make soak SOAK_SECONDS=60``).

Two gunicorn servers (production settings, 2 workers of 4 threads each) behind HAProxy with the
sample configuration (deploy/haproxy.cfg), on a throwaway PostgreSQL database reached through a
TCP proxy, and a Redis of their own (tests/balanced.py): never the shared services. Client
threads drive a mixed load through the balancer — reads of the list and of one movie, creates
with an ``Idempotency-Key`` (sent again, same key, until acknowledged), ``If-Match`` updates of
their own movies, refreshes and logins (with the device token) — while slow clients hold
connections open (a header line a second), and, on a schedule spread over the run:

- a worker of app1 is killed with SIGKILL (its master starts another);
- Redis is stopped, and started again three seconds later;
- the database proxy is cut (connections dropped, new ones refused), and restored four seconds
  later; later it hangs (connections kept, nothing forwarded) for four seconds;
- app2 is restarted (SIGTERM, then started again);
- a worker of app2 is killed with SIGKILL.

At the end, from the database itself: every create the API acknowledged (201) is there exactly
once, every create never acknowledged at most once, and each movie's rating is the last update
acknowledged or one sent after it and never answered. Every answer must be JSON (or empty: 204,
304), no answer may be a 500 or a 5xx that is not JSON, and every 503 has a Retry-After. Prints
the answers per operation and status, the latency percentiles per operation, and the verdict;
exits 1 if any rule was broken.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import django
import psycopg

# The tests' servers (tests/balanced.py) import Django's test tools: settings first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from tests.balanced import ADMIN_EMAIL, balanced_system  # noqa: E402
from tests.helpers import PASSWORD  # noqa: E402
from tests.servers import TcpProxy  # noqa: E402

STARTED = time.monotonic()
SIGNING_KEYS = "soak:" + "soak-signing-key-" * 3
CLIENTS = 6
SLOW_CLIENTS = 50
# Operation mix: weights of each client's next step.
MIX = {"list": 30, "detail": 20, "create": 15, "update": 20, "refresh": 10, "login": 5}


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (the connection failed)
    headers: object  # http.client's headers (names in any case), {} without an answer
    body: object  # parsed JSON, None if empty
    json_ok: bool
    cut_short: bool = False  # the status came, then the connection closed mid-body


@dataclass
class Tally:
    """Everything the clients saw; one lock, since every client thread writes to it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)  # (operation, status class) -> count
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    broken: list[str] = field(default_factory=list)  # the rules broken, one line each
    acknowledged: set[str] = field(default_factory=set)  # titles answered 201
    attempted: set[str] = field(default_factory=set)  # titles sent at least once
    # movie id -> its updates in order: (rating, acknowledged?), and whether the last is known
    ratings: dict[int, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))

    def record(self, operation: str, answer: Answer, seconds: float) -> None:
        kind = str(answer.status) if answer.status else "no answer"
        kind = "cut short" if answer.cut_short else kind
        with self.lock:
            self.statuses[(operation, kind)] += 1
            self.latencies[operation].append(seconds)
            if answer.status == 500:
                self.broken.append(f"{operation}: 500 at {time.monotonic() - STARTED:.1f} s")
            elif not answer.json_ok:
                self.broken.append(f"{operation}: {answer.status} that is not JSON")
            elif answer.status == 0 and not answer.cut_short:
                self.broken.append(f"{operation}: no HTTP answer ({answer.body})")
            elif answer.status == 503 and not answer.headers.get("Retry-After"):
                self.broken.append(f"{operation}: 503 without Retry-After")
            elif answer.status in (400, 404):  # the clients send only valid requests
                self.broken.append(f"{operation}: {answer.status} {answer.body}")


def send(base: str, method: str, path: str, body=None, headers=None) -> tuple[Answer, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data, {"Content-Type": "application/json", **(headers or {})}, method=method
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, error.headers, error.read()
    except OSError as error:  # refused, reset, timed out: no HTTP answer
        return Answer(0, {}, repr(error), True), time.monotonic() - started
    except http.client.IncompleteRead:
        # A worker killed while it sent the body: the outcome is unknown, as with no answer.
        return Answer(0, {}, None, True, cut_short=True), time.monotonic() - started
    seconds = time.monotonic() - started
    try:
        parsed, json_ok = (json.loads(raw) if raw else None), True
    except ValueError:
        parsed, json_ok = raw[:200], False
    return Answer(status, answer_headers, parsed, json_ok), seconds


class Client(threading.Thread):
    """One API client: logs in, then loops over the operation mix until ``stop`` is set."""

    def __init__(self, number: int, base: str, tally: Tally, stop: threading.Event, seed: int):
        super().__init__(name=f"client-{number}", daemon=True)
        self.number, self.base, self.tally, self.stop = number, base, tally, stop
        self.random = random.Random(seed)
        self.access = self.refresh_token = self.device_token = None
        self.movies: list[int] = []  # this client's acknowledged creates
        self.created = 0

    def call(self, operation, method, path, body=None, headers=None, token=True) -> Answer:
        if token:
            headers = {**(headers or {}), "Authorization": f"Bearer {self.access}"}
        answer, seconds = send(self.base, method, path, body, headers)
        self.tally.record(operation, answer, seconds)
        return answer

    def login(self) -> None:
        body = {"email": ADMIN_EMAIL, "password": PASSWORD}
        if self.device_token:
            body["device_token"] = self.device_token
        answer = self.call("login", "POST", "/api/auth/login/", body, token=False)
        if answer.status == 200:
            self._keep(answer.body)

    def refresh(self) -> None:
        body = {"refresh_token": self.refresh_token}
        answer = self.call("refresh", "POST", "/api/auth/refresh/", body, token=False)
        if answer.status == 200:
            self._keep(answer.body)
        elif answer.status == 401:  # consumed by a request whose answer was lost: log in again
            self.access = None

    def _keep(self, pair: dict) -> None:
        self.access, self.refresh_token = pair["access_token"], pair["refresh_token"]
        self.device_token = pair["device_token"]

    def create(self) -> None:
        self.created += 1
        title = f"soak-{self.number}-{self.created}"
        body = {"title": title, "year": 2000 + self.created % 25, "rating": 5.0, "category": "Soak"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        with self.tally.lock:
            self.tally.attempted.add(title)
        # The same key until an answer settles it: a retry can never create a second movie.
        while not self.stop.is_set():
            answer = self.call("create", "POST", "/api/movies/", body, key)
            if answer.status == 201:
                with self.tally.lock:
                    self.tally.acknowledged.add(title)
                self.movies.append(answer.body["id"])
                return
            if answer.status == 401:
                self.login()
            elif 400 <= answer.status < 500 and answer.status not in (408, 409, 429):
                return  # refused for good
            self.stop.wait(0.2)

    def update(self) -> None:
        if not self.movies:
            return self.create()
        movie = self.random.choice(self.movies)
        current = self.call("detail", "GET", f"/api/movies/{movie}/")
        if current.status != 200:
            return None
        rating = round(self.random.uniform(0, 10), 1)
        answer = self.call(
            "update",
            "PATCH",
            f"/api/movies/{movie}/",
            {"rating": rating},
            {"If-Match": current.headers["ETag"]},
        )
        with self.tally.lock:
            if answer.status == 200:
                self.tally.ratings[movie].append((rating, True))
            elif answer.status == 0 or answer.status >= 500:
                self.tally.ratings[movie].append((rating, False))  # may or may not be written
        return None

    def run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # a bug of the soak itself: it must not pass unnoticed
            with self.tally.lock:
                self.tally.broken.append(f"{self.name} stopped: {error!r}")
            raise

    def _loop(self) -> None:
        operations, weights = zip(*MIX.items(), strict=True)
        while not self.stop.is_set():
            if self.access is None:
                self.login()
                if self.access is None:
                    self.stop.wait(0.2)
                    continue
            operation = self.random.choices(operations, weights)[0]
            if operation == "list":
                answer = self.call("list", "GET", "/api/movies/?category=soak&ordering=-rating")
            elif operation == "detail" and self.movies:
                movie = self.random.choice(self.movies)
                answer = self.call("detail", "GET", f"/api/movies/{movie}/")
            else:
                getattr(self, operation if operation != "detail" else "create")()
                continue
            if answer.status == 401:
                self.access = None


def slow_client(port: int, stop: threading.Event, tally: Tally) -> None:
    """A slowloris client: a request's headers, one line a second, never finished; when the
    balancer answers and closes (408 after its ``timeout http-request``), it starts again. Its
    answers are counted, not timed, and may be HTML: HAProxy answers a request whose headers
    never ended with its own page, since no ``http-error`` applies before a request exists."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(b"GET /api/movies/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                sock.setblocking(False)
                answer = b""
                while not stop.is_set() and not answer:
                    try:
                        answer = sock.recv(4096)
                        break
                    except BlockingIOError:
                        sock.sendall(b"X-Slow: 1\r\n")
                        stop.wait(1)
        except OSError:
            answer = b""
        if stop.is_set():
            return
        status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "closed"
        with tally.lock:
            tally.statuses[("slow client", status)] += 1


def chaos(system, database: TcpProxy, seconds: float, stop: threading.Event, log: list) -> None:
    """The outages, at fixed fractions of the run."""
    started = time.monotonic()

    def at(fraction: float, what: str, action) -> bool:
        if stop.wait(max(0.0, started + fraction * seconds - time.monotonic())):
            return False
        action()
        log.append(f"{time.monotonic() - started:6.1f} s  {what}")
        return True

    def kill_a_worker(name: str):
        return lambda: os.kill(system.worker_pids(name)[0], signal.SIGKILL)

    def restart(name: str):
        def action():
            system.stop(name)
            system.start(name)

        return action

    steps = [
        (0.10, "SIGKILL a worker of app1", kill_a_worker("app1")),
        (0.22, "Redis stopped", system.redis.stop),
        (0.22 + 3 / seconds, "Redis started", system.redis.start),
        (0.38, "database proxy cut", database.cut),
        (0.38 + 4 / seconds, "database proxy restored", database.restore),
        (0.52, "app2 restarting (SIGTERM)", restart("app2")),
        (0.68, "SIGKILL a worker of app2", kill_a_worker("app2")),
        (0.80, "database proxy hangs", database.hang),
        (0.80 + 4 / seconds, "database proxy restored", database.restore),
    ]
    for fraction, what, action in steps:
        if not at(fraction, what, action):
            return


def check_the_database(url: str, tally: Tally) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        counts = dict(
            connection.execute(
                "SELECT title, count(*) FROM movies_movie WHERE title LIKE 'soak-%' GROUP BY title"
            ).fetchall()
        )
        ratings = dict(connection.execute("SELECT id, rating FROM movies_movie").fetchall())
    for title in tally.acknowledged:
        if counts.get(title) != 1:
            tally.broken.append(
                f"acknowledged create {title!r} is there {counts.get(title, 0)} times"
            )
    for title in tally.attempted - tally.acknowledged:
        if counts.get(title, 0) > 1:
            tally.broken.append(f"create {title!r} is there {counts[title]} times")
    for title in set(counts) - tally.attempted:
        tally.broken.append(f"{title!r} was never sent")
    for movie, updates in tally.ratings.items():
        acknowledged = [index for index, (_, ok) in enumerate(updates) if ok]
        if not acknowledged:
            continue
        allowed = {rating for rating, _ in updates[acknowledged[-1] :]}
        if float(ratings[movie]) not in allowed:
            tally.broken.append(
                f"movie {movie}: rating {ratings[movie]}, the last acknowledged update or a "
                f"later one expected ({sorted(allowed)})"
            )
    return {
        "acknowledged creates": len(tally.acknowledged),
        "unacknowledged creates": len(tally.attempted - tally.acknowledged),
        "acknowledged updates": sum(ok for updates in tally.ratings.values() for _, ok in updates),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(tally: Tally, writes: dict[str, int], events: list[str], seconds: float) -> None:
    print("\n==> Chaos events")
    for line in events:
        print("  " + line)
    print("\n==> Answers per operation (status: count)")
    for operation in [*MIX, "slow client"]:
        row = {kind: n for (op, kind), n in sorted(tally.statuses.items()) if op == operation}
        if row:
            print(f"  {operation:12} " + ", ".join(f"{kind}: {n}" for kind, n in row.items()))
    classes = Counter()
    for (_, kind), n in tally.statuses.items():
        classes[kind if not kind[0].isdigit() else f"{kind[0]}xx"] += n
    print("  per class    " + ", ".join(f"{kind}: {n}" for kind, n in sorted(classes.items())))
    print("\n==> Latency per operation (ms)")
    print(f"  {'operation':12} {'count':>6} {'p50':>8} {'p99':>8} {'max':>8}")
    for operation, values in sorted(tally.latencies.items()):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"  {operation:12} {len(values):6} {p50:8.1f} {p99:8.1f} {max(values) * 1000:8.1f}")
    steady = [s for op, values in tally.latencies.items() if op != "slow client" for s in values]
    p50, p99 = statistics.median(steady) * 1000, percentile(steady, 0.99) * 1000
    print(
        f"\n==> {len(steady)} requests in {seconds:.0f} s ({len(steady) / seconds:.0f}/s), "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print("==> Writes: " + ", ".join(f"{name} {count}" for name, count in writes.items()))


def run(options, tally: Tally, stop: threading.Event, events: list) -> tuple[dict, float]:
    """The system up, the load and the outages for ``options.seconds``, then the database read."""
    env = {"LOGIN_THROTTLE_RATE": "100000/min", "REFRESH_THROTTLE_RATE": "100000/min"}
    with (
        tempfile.TemporaryDirectory(prefix="soak-") as folder,
        TcpProxy() as database,
        balanced_system(
            Path(folder),
            workers=2,
            threads=4,
            signing_keys=SIGNING_KEYS,
            env=env,
            database_proxy=database,
        ) as system,
    ):
        port = int(system.balancer.rsplit(":", 1)[1])
        clients = [
            Client(n, system.balancer, tally, stop, options.seed + n) for n in range(CLIENTS)
        ]
        slow = [
            threading.Thread(target=slow_client, args=(port, stop, tally), daemon=True)
            for _ in range(SLOW_CLIENTS)
        ]
        chaos_thread = threading.Thread(
            target=chaos, args=(system, database, options.seconds, stop, events)
        )
        started = time.monotonic()
        for thread in [*clients, *slow, chaos_thread]:
            thread.start()
        stop.wait(options.seconds)
        stop.set()
        for thread in [chaos_thread, *clients, *slow]:
            thread.join(timeout=90)
        elapsed = time.monotonic() - started
        database.restore()
        if not system.redis.answers():
            system.redis.start()
        return check_the_database(system.database_url, tally), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    options = parser.parse_args()
    print(f"==> Chaos soak: {options.seconds:.0f} s, seed {options.seed}")
    tally, stop, events = Tally(), threading.Event(), []
    try:
        writes, elapsed = run(options, tally, stop, events)
    except AssertionError as error:  # tests/balanced.py: a traceback in a server's log
        log = str(error)
        start = log.find("Traceback")
        tally.broken.append(
            f"a server logged a traceback:\n{log[max(0, start - 300) : start + 4000]}"
        )
        writes, elapsed = {}, options.seconds
    report(tally, writes, events, elapsed)
    if tally.broken:
        print(f"\n==> FAILED: {len(tally.broken)} rules broken")
        for line in tally.broken[:50]:
            print("  " + line)
        return 1
    print("\n==> PASSED: every acknowledged write is there exactly once; no 500, every answer JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
