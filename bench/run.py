"""``make bench``: load the production server and print ratios, every figure measured in this run.

1. authenticated ``GET /api/movies/{id}/`` throughput ÷ the same viewset without authentication
   (a benchmark-only URL, bench/urls.py)                                   goal ≥ 0.90
2. median list latency at 100 000 movies ÷ at 1 000                        goal ≤ 1.5
3. queries per authenticated list and detail request                       goal constant, ≤ 3
4. token verification cost per call (µs), from ``accounts.tokens``         reported

gunicorn (debug off, whitenoise, the real WSGI app) serves a freshly seeded database: a new
PostgreSQL database on the server DATABASE_URL names, else an SQLite file. wrk generates the load.
Writes bench/results/latest.json and latest.png.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SMALL, LARGE = 1_000, 100_000
CATEGORIES = [f"Category {number:02}" for number in range(20)]
LIST_PATH = "/api/movies/?ordering=-rating&category=category%2007"
GOALS = {"auth_throughput_ratio": 0.90, "list_latency_ratio": 1.5, "max_queries": 3}


def bench_database_url() -> str:
    """A fresh database for this run, never the one DATABASE_URL itself names."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        name = "movies_bench"
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(parts._replace(path=f"/{name}"))
    path = RESULTS / "bench.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def configure_environment(database_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SIGNING_KEYS": f"bench:{secrets.token_urlsafe(48)}",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_HTTPS": "false",
            "DATABASE_URL": database_url,
            "DJANGO_AUTH_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)


def seed_movies(start: int, stop: int) -> None:
    from decimal import Decimal

    from movies.models import Movie

    batch = []
    for number in range(start, stop):
        batch.append(
            Movie(
                title=f"Benchmark film {number:06}",
                overview="A film made up for the benchmark.",
                year=1900 + number % 120,
                rating=Decimal(number % 101) / 10,
                category=CATEGORIES[number % len(CATEGORIES)],
            )
        )
        if len(batch) == 5_000:
            Movie.objects.bulk_create(batch)
            batch = []
    Movie.objects.bulk_create(batch)
    analyze()


def analyze() -> None:
    """Bring the database to its steady state after a bulk load: planner statistics, and on
    PostgreSQL the visibility map that autovacuum would set, so counts can use the index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def queries_per_request(token: str, movie_id: int) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = {}
    for name, path in (("list", LIST_PATH), ("detail", f"/api/movies/{movie_id}/")):
        client.get(path)  # warm: first requests may load content types and such
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content!r}")
        counts[name] = len(captured.captured_queries)
    return counts


def token_verify_microseconds(user) -> dict[str, float]:
    """Full verification of tokens never seen before (PyJWT: signature, every claim), and the
    repeat verification of a token this process has already checked."""
    from accounts.tokens import issue_access_token, verify_access_token

    calls = 5_000
    tokens = [issue_access_token(user).value for _ in range(calls)]
    started = time.perf_counter()
    for token in tokens:
        verify_access_token(token)
    cold = (time.perf_counter() - started) / calls * 1e6
    warm = min(timeit.repeat(lambda: verify_access_token(tokens[0]), number=calls, repeat=3))
    return {"full": cold, "repeat": warm / calls * 1e6}


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, *, token: str | None, seconds: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"wrk saw error responses from {url}:\n{output}")
    throughput = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"\s50%\s+([\d.]+)(us|ms|s)\b", output).groups()
    return {"requests_per_second": throughput, "median_ms": float(value) * _UNITS[unit]}


def throughput_ratio(base: str, token: str, movie_id: int) -> dict[str, float]:
    """Rounds alternate the two endpoints; the ratio is the median of the rounds' ratios, so a
    slow spell on this shared machine weighs on one round, not on one side."""
    authenticated = f"{base}/api/movies/{movie_id}/"
    open_twin = f"{base}/bench/open/movies/{movie_id}/"
    wrk(authenticated, token=token, seconds=2, connections=8)  # warm-up
    rounds = []
    for _ in range(5):
        open_rate = wrk(open_twin, token=None, seconds=4, connections=8)["requests_per_second"]
        auth_rate = wrk(authenticated, token=token, seconds=4, connections=8)["requests_per_second"]
        rounds.append((auth_rate, open_rate))
    return {
        "authenticated_rps": statistics.median(auth for auth, _ in rounds),
        "open_rps": statistics.median(open_rate for _, open_rate in rounds),
        "ratio": statistics.median(auth / open_rate for auth, open_rate in rounds),
        "round_ratios": [round(auth / open_rate, 3) for auth, open_rate in rounds],
    }


def list_latency(base: str, token: str) -> float:
    """The lowest of three medians: a burst of other work on the machine only ever adds."""
    url = base + LIST_PATH
    wrk(url, token=token, seconds=2, connections=1)  # warm-up
    return min(wrk(url, token=token, seconds=4, connections=1)["median_ms"] for _ in range(3))


def chart(figures: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    throughput = figures["throughput"]
    axes[0].bar(
        ["open twin", "authenticated"], [throughput["open_rps"], throughput["authenticated_rps"]]
    )
    axes[0].set_title(
        f"GET /api/movies/{{id}}/ req/s\nratio {throughput['ratio']:.2f} (goal ≥ 0.90)"
    )
    latency = figures["list_latency_ms"]
    axes[1].bar(["1 000 movies", "100 000 movies"], [latency["small"], latency["large"]])
    axes[1].set_title(f"median list latency (ms)\nratio {latency['ratio']:.2f} (goal ≤ 1.5)")
    queries = figures["queries"]
    axes[2].bar(["list", "detail"], [queries["list"], queries["detail"]])
    axes[2].axhline(GOALS["max_queries"], color="red", linestyle="--", label="goal ≤ 3")
    verify = figures["token_verify_us"]
    axes[2].set_title(f"queries per request\ntoken verify {verify['full']:.0f} µs (full)")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    database_url = bench_database_url()
    configure_environment(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from accounts.tokens import issue_access_token
    from movies.models import Movie

    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("bench@example.com", secrets.token_urlsafe(16), is_staff=True)
    token = issue_access_token(admin).value
    seed_movies(0, SMALL)
    movie_id = Movie.objects.order_by("id").values_list("id", flat=True)[SMALL // 2]

    figures: dict = {"database": database_url.split(":", 1)[0], "cores": os.cpu_count()}
    figures["token_verify_us"] = token_verify_microseconds(admin)
    queries_small = queries_per_request(token, movie_id)

    workers = os.cpu_count() * 2 + 1
    with gunicorn(env=os.environ.copy(), log=RESULTS / "gunicorn.log", workers=workers) as base:
        latency_small = list_latency(base, token)
        figures["throughput"] = throughput_ratio(base, token, movie_id)
        seed_movies(SMALL, LARGE)
        latency_large = list_latency(base, token)
    queries_large = queries_per_request(token, movie_id)
    figures["queries"] = {
        "list": max(queries_small["list"], queries_large["list"]),
        "detail": max(queries_small["detail"], queries_large["detail"]),
        "constant": queries_small == queries_large,
    }
    figures["list_latency_ms"] = {
        "small": latency_small,
        "large": latency_large,
        "ratio": latency_large / latency_small,
    }
    figures["seconds"] = round(time.monotonic() - started, 1)

    (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2) + "\n")
    chart(figures, RESULTS / "latest.png")
    report(figures)


def report(figures: dict) -> None:
    throughput, latency, queries = (
        figures["throughput"],
        figures["list_latency_ms"],
        figures["queries"],
    )
    rows = [
        (
            "1. authenticated ÷ open detail throughput",
            f"{throughput['ratio']:.2f}  (median of rounds "
            f"{', '.join(f'{r:.2f}' for r in throughput['round_ratios'])})",
            "≥ 0.90",
            throughput["ratio"] >= GOALS["auth_throughput_ratio"],
        ),
        (
            "2. list latency at 100 000 ÷ at 1 000",
            f"{latency['ratio']:.2f}  ({latency['large']:.2f} ÷ {latency['small']:.2f} ms median)",
            "≤ 1.5",
            latency["ratio"] <= GOALS["list_latency_ratio"],
        ),
        (
            "3. queries per list / detail request",
            f"{queries['list']} / {queries['detail']}"
            f"  ({'same' if queries['constant'] else 'NOT the same'} at 1 000 and 100 000)",
            "constant, ≤ 3",
            queries["constant"] and max(queries["list"], queries["detail"]) <= 3,
        ),
        (
            "4. token verify cost per call",
            f"{figures['token_verify_us']['full']:.1f} µs full check, "
            f"{figures['token_verify_us']['repeat']:.1f} µs repeat",
            "-",
            True,
        ),
    ]
    print(f"\nBenchmark on {figures['database']}, {figures['cores']} cores, {figures['seconds']} s")
    for name, value, goal, met in rows:
        print(f"{name:44} {value:52} goal {goal:14} {'met' if met else 'MISSED'}")
    print(f"\nFigures: {RESULTS / 'latest.json'}  chart: {RESULTS / 'latest.png'}")


if __name__ == "__main__":
    main()
