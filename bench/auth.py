"""``make bench-auth`` (and the first half of ``make bench``): what the project's authentication
costs a request, beside no authentication and beside djangorestframework-simplejwt.

The same movie viewset (``movies.views.MovieViewSet``: same serializer, same queries for the
movies) is served in three builds that differ only in their authentication:

- ``own``: the real URLs ``/api/movies/{id}/`` and ``/api/movies/``, with the project's
  ``accounts.authentication.JWTAuthentication`` (token from ``accounts.services.session_start``);
- ``simplejwt``: ``/bench/simplejwt/movies/…``, with simplejwt's ``JWTAuthentication`` and
  ``IsAdminUser`` (token from ``AccessToken.for_user``; ``SIMPLE_JWT`` in bench/settings.py);
- ``no-auth``: ``/bench/open/movies/…``, ``authentication_classes = ()`` and ``AllowAny``.

Each build is measured on the detail (``GET …/{id}/``) and the default list (``GET …/``). A
throughput ratio measured in separate runs mostly measures how busy the machine was in each, so
the builds are interleaved in one run: every round measures each build and path once (wrk, 8
connections, ~3 s; the builds' order rotates from round to round), and a ratio is the median of
the per-round ratios, so a slow spell weighs on one round rather than on one side. Also measured:
the p50 and p90 latency of ``POST /api/auth/login/`` (the password check included), and the
login → refresh → request cycle (``session_cycle`` from bench/run.py).

Goals, on PostgreSQL (SQLite's figures are reported only): own ÷ no-auth ≥ 0.95 on the detail
and on the list, own ÷ simplejwt ≥ 1.2 on the detail, login p50 ≤ 100 ms; simplejwt ÷ no-auth
is there for reference.

Each database gets a fresh one (a throwaway PostgreSQL database like bench/run.py's, then a
temporary SQLite file) seeded with 1 000 movies, served by gunicorn (production settings, debug
off, 2 sync workers), in a process of its own: Django's settings are read once per process.
Before measuring, each build must answer 200 with its token, and the own and simplejwt builds
401 without one. Writes bench/results/auth-latest.json (git-ignored). ``--quick`` (or
BENCH_QUICK=1) checks the script itself in seconds: 1 round of 1 s and 5 logins, no figures to
trust. ``--builds simplejwt,no-auth`` (say) leaves a build out, for diagnosis only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (
    RESULTS,
    SMALL,
    bench_database_url,
    configure_environment,
    drop_bench_database,
    seed_movies,
    session_cycle,
    wrk,
)

DATABASES = ("postgresql", "sqlite")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/movies"
WORKERS = 2
CONNECTIONS = 8
PATHS = ("detail", "list")
BUILD_NAMES = ("own", "simplejwt", "no-auth")
OUTPUT = RESULTS / "auth-latest.json"


@dataclass(frozen=True)
class Plan:
    """How long to measure: the full run, or ``--quick`` to check the script itself."""

    rounds: int
    seconds: int
    warmup_seconds: int
    logins: int
    cycles: int


FULL = Plan(rounds=5, seconds=3, warmup_seconds=2, logins=30, cycles=20)
QUICK = Plan(rounds=1, seconds=1, warmup_seconds=1, logins=5, cycles=5)


@dataclass(frozen=True)
class Build:
    """One build of the movie viewset: where it is served and the token it is sent."""

    name: str
    label: str
    prefix: str
    token: str | None

    def path(self, kind: str, movie_id: int) -> str:
        return f"{self.prefix}{movie_id}/" if kind == "detail" else self.prefix


@dataclass(frozen=True)
class Ratio:
    """A throughput ratio ``numerator ÷ denominator`` on one path, and its goal if it has one."""

    numerator: str
    denominator: str
    path: str
    goal: float | None

    @property
    def key(self) -> str:
        return f"{self.numerator}/{self.denominator} {self.path}"


RATIOS = (
    Ratio("own", "no-auth", "detail", 0.95),
    Ratio("own", "no-auth", "list", 0.95),
    Ratio("own", "simplejwt", "detail", 1.2),
    Ratio("own", "simplejwt", "list", None),
    Ratio("simplejwt", "no-auth", "detail", None),
    Ratio("simplejwt", "no-auth", "list", None),
)
LOGIN_P50_GOAL_MS = 100.0


# --- The parent: one child process per database, then the file of figures. ----------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="1 round of 1 s and 5 logins: checks the script, not the figures (or BENCH_QUICK=1)",
    )
    parser.add_argument(
        "--builds",
        default=",".join(BUILD_NAMES),
        help="the builds to measure, comma-separated (default: all; leaving one out is for "
        "diagnosis only: the ratios that need it are not measured)",
    )
    parser.add_argument("--database", choices=DATABASES, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    names = tuple(name for name in BUILD_NAMES if name in args.builds.split(","))
    if not names or set(args.builds.split(",")) - set(BUILD_NAMES):
        parser.error(f"--builds takes a comma-separated selection of {', '.join(BUILD_NAMES)}")
    if args.database:  # a child: one database
        figures = measure(args.database, plan, names)
        args.output.write_text(json.dumps(figures))
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    load = os.getloadavg()
    print(
        "Authentication benchmark: run on a quiet machine; anything else heavy running now "
        f"skews the figures (load average {load[0]:.2f} on {os.cpu_count()} cores)."
    )
    if load[0] > 0.5 * (os.cpu_count() or 1):
        print("WARNING: this machine is busy now: expect noisy ratios, or run again when quiet.")
    if args.quick:
        print("--quick: 1 round of 1 s and 5 logins; this checks the script, not the figures.")
    if names != BUILD_NAMES:
        print(f"Only the builds {', '.join(names)}: the ratios that need another are not measured.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: dict = {
        "quick": args.quick,
        "cores": os.cpu_count(),
        "load_average_at_start": load[0],
        "plan": plan.__dict__,
        "builds": names,
        "databases": {},
        "errors": {},
    }
    for database in DATABASES:
        with tempfile.TemporaryDirectory() as scratch:
            output = Path(scratch) / "figures.json"
            command = [sys.executable, __file__, "--database", database, "--output", str(output)]
            command += ["--builds", ",".join(names), *(["--quick"] if args.quick else [])]
            child = subprocess.run(command, check=False)
            if child.returncode == 0:
                results["databases"][database] = json.loads(output.read_text())
            else:
                results["errors"][database] = f"exited {child.returncode}: see its output above"
    results["seconds"] = round(time.monotonic() - started, 1)
    OUTPUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nFigures: {OUTPUT}")
    if results["errors"]:
        raise SystemExit(
            "Not measured: "
            + "; ".join(f"{name} {error}" for name, error in results["errors"].items())
        )


# --- A child: one database, from a fresh one to its table of figures. ---------------------------


def measure(database: str, plan: Plan, names: tuple[str, ...]) -> dict:
    scratch: Path | None = None
    if database == "postgresql":
        os.environ["DATABASE_URL"] = postgres_server_url()
        try:
            database_url = bench_database_url()
        except Exception as error:  # psycopg's, before Django is set up
            raise SystemExit(
                f"PostgreSQL at {os.environ['DATABASE_URL']} did not let this run create a "
                f"database: {error}\nSet BENCH_POSTGRES_URL (or DATABASE_URL) to a server this "
                "user may create databases on."
            ) from None
    else:
        scratch = Path(tempfile.mkdtemp(prefix="auth-bench-"))
        database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    try:
        return measure_on(database_url, plan, names)
    finally:
        from django.apps import apps

        if apps.ready:  # Django's own connection, or dropping the database would cut it
            from django.db import connections

            connections.close_all()
        drop_bench_database(database_url)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def postgres_server_url() -> str:
    """The server for the throwaway database: BENCH_POSTGRES_URL, else DATABASE_URL when it names
    PostgreSQL, else the local one. Only its address is used: the database is a new one."""
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_POSTGRES_URL


def measure_on(database_url: str, plan: Plan, names: tuple[str, ...]) -> dict:
    # Every gunicorn worker must verify simplejwt's tokens with the key they were signed with.
    os.environ["BENCH_SIMPLEJWT_SIGNING_KEY"] = secrets.token_urlsafe(48)
    configure_environment(database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from accounts.services import session_start
    from tests.servers import gunicorn  # the tests' own start-up, once Django is set up

    call_command("migrate", verbosity=0)
    password = secrets.token_urlsafe(16)
    admin = User.objects.create_user("bench@example.com", password, is_staff=True)
    builds: list[Build] = []
    if "own" in names:
        token = session_start(user=admin).access.value
        builds.append(Build("own", "own (accounts JWTAuthentication)", "/api/movies/", token))
    if "simplejwt" in names:
        token = str(AccessToken.for_user(admin))
        builds.append(
            Build("simplejwt", "simplejwt (JWTAuthentication)", "/bench/simplejwt/movies/", token)
        )
    if "no-auth" in names:
        builds.append(Build("no-auth", "no authentication", "/bench/open/movies/", None))
    seed_movies(1, SMALL + 1)
    from movies.models import Movie

    movie_id = Movie.objects.order_by("id").values_list("id", flat=True)[SMALL // 2]
    figures: dict = {
        "database": connection.vendor,
        "database_version": database_version(),
        "movies": SMALL,
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "password_hasher": settings.PASSWORD_HASHERS[0],
        "paths": {
            build.name: {kind: build.path(kind, movie_id) for kind in PATHS} for build in builds
        },
    }
    print(
        f"\n==> {figures['database_version']}: {SMALL:,} movies, gunicorn {WORKERS} sync workers, "
        f"wrk -c{CONNECTIONS}, {plan.rounds} round(s) of {plan.seconds} s per build and path",
        flush=True,
    )
    log = RESULTS / f"gunicorn-auth-{connection.vendor}.log"
    with gunicorn(env=os.environ.copy(), log=log, workers=WORKERS) as base:
        check_builds(base, builds, movie_id, log)
        figures["throughput"] = throughput(base, builds, movie_id, plan)
        figures["login_ms"] = login_latency(base, admin.email, password, plan.logins)
        if "own" in names:  # its last step is a request to the own build
            figures["session_cycle_ms"] = session_cycle(
                base, admin.email, password, movie_id, cycles=plan.cycles
            )
    report(figures, builds)
    return figures


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


# --- Before measuring: does each build answer as it should? -------------------------------------


def get(base: str, path: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_builds(base: str, builds: list[Build], movie_id: int, log: Path) -> None:
    """Each build answers 200 with its token, the same movies as the others; the own and simplejwt
    builds answer 401 without a token, and simplejwt 401 to the project's token (so its URLs really
    are served by the other class). Any miss aborts the run: its figures would mean nothing."""
    problems: list[str] = []
    bodies: dict[str, dict[str, object]] = {kind: {} for kind in PATHS}
    for build in builds:
        for kind in PATHS:
            path = build.path(kind, movie_id)
            status, body = get(base, path, build.token)
            if status != 200:
                problems.append(
                    f"{build.name}: GET {path} with its token → {status} {body[:300]!r}"
                )
                continue
            data = json.loads(body)
            # The list's next/previous links name each build's own URL; its movies must match.
            bodies[kind][build.name] = data.get("results", data) if kind == "list" else data
            if build.token is not None:
                status, body = get(base, path, None)
                if status != 401:
                    problems.append(
                        f"{build.name}: GET {path} without a token → {status}, not 401 "
                        f"{body[:300]!r}"
                    )
    by_name = {build.name: build for build in builds}
    if "own" in by_name and "simplejwt" in by_name:
        path = by_name["simplejwt"].path("detail", movie_id)
        status, _ = get(base, path, by_name["own"].token)
        if status != 401:
            problems.append(f"simplejwt: GET {path} with the project's token → {status}, not 401")
    for kind, answers in bodies.items():
        if len({json.dumps(answer, sort_keys=True) for answer in answers.values()}) > 1:
            problems.append(f"the builds' {kind} answers differ: {answers}")
    if problems:
        raise SystemExit(
            "A build does not answer as it should; nothing measured:\n  "
            + "\n  ".join(problems)
            + f"\n(gunicorn's log: {log})"
        )
    print("Checked: each build answers 200 with its token, the same movies, and 401 without one.")


# --- The measurements. ---------------------------------------------------------------------------


def throughput(base: str, builds: list[Build], movie_id: int, plan: Plan) -> dict:
    """Requests/s of each build and path, rounds interleaved: each round measures every path of
    every build once, the builds in an order rotated by one from the round before."""
    for build in builds:  # warm-up: both workers, every view, the database's caches
        for kind in PATHS:
            url = base + build.path(kind, movie_id)
            wrk(url, token=build.token, seconds=plan.warmup_seconds, connections=CONNECTIONS)
    rates: dict[str, dict[str, list[float]]] = {b.name: {k: [] for k in PATHS} for b in builds}
    medians: dict[str, dict[str, list[float]]] = {b.name: {k: [] for k in PATHS} for b in builds}
    for number in range(plan.rounds):
        shift = number % len(builds)
        order = builds[shift:] + builds[:shift]
        for kind in PATHS:
            for build in order:
                url = base + build.path(kind, movie_id)
                run = wrk(url, token=build.token, seconds=plan.seconds, connections=CONNECTIONS)
                rates[build.name][kind].append(run["requests_per_second"])
                medians[build.name][kind].append(run["median_ms"])
        print(f"  round {number + 1}/{plan.rounds} done", flush=True)
    ratios = {}
    for ratio in RATIOS:
        if ratio.numerator not in rates or ratio.denominator not in rates:
            continue
        per_round = [
            top / bottom
            for top, bottom in zip(
                rates[ratio.numerator][ratio.path],
                rates[ratio.denominator][ratio.path],
                strict=True,
            )
        ]
        ratios[ratio.key] = {
            "median": statistics.median(per_round),
            "rounds": [round(value, 3) for value in per_round],
            "goal": ratio.goal,
        }
    return {
        "requests_per_second": {
            name: {kind: statistics.median(values) for kind, values in by_kind.items()}
            for name, by_kind in rates.items()
        },
        "requests_per_second_rounds": rates,
        "p50_ms": {
            name: {kind: statistics.median(values) for kind, values in by_kind.items()}
            for name, by_kind in medians.items()
        },
        "ratios": ratios,
    }


def login_latency(base: str, email: str, password: str, logins: int) -> dict[str, float]:
    """p50 and p90 (ms) of ``POST /api/auth/login/``, one login at a time: the whole round trip,
    the password check included. Two logins first, uncounted, warm both workers."""
    body = json.dumps({"email": email, "password": password}).encode()

    def login() -> float:
        request = urllib.request.Request(
            base + "/api/auth/login/", body, {"Content-Type": "application/json"}
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise SystemExit(
                f"POST /api/auth/login/ → {error.code} {error.read()[:300]!r}"
            ) from None
        return (time.perf_counter() - started) * 1e3

    login(), login()
    times = [login() for _ in range(logins)]
    deciles = statistics.quantiles(times, n=10, method="inclusive")
    return {"p50": statistics.median(times), "p90": deciles[8], "logins": logins}


# --- The table. ----------------------------------------------------------------------------------


def report(figures: dict, builds: list[Build]) -> None:
    goals_apply = figures["database"] == "postgresql"
    rps = figures["throughput"]["requests_per_second"]
    print(f"\n{'requests/s (median of rounds)':42} {'detail':>9} {'list':>9}")
    for build in builds:
        print(f"  {build.label:40} {rps[build.name]['detail']:9.1f} {rps[build.name]['list']:9.1f}")
    print(f"\n{'ratio (median of per-round ratios)':42} {'value':>6}  {'goal':16} per-round ratios")
    for ratio in RATIOS:
        figure = figures["throughput"]["ratios"].get(ratio.key)
        if figure is None:
            continue
        if ratio.goal is None:
            goal, verdict = "-", "reference" if ratio.numerator == "simplejwt" else "reported"
        elif not goals_apply:
            goal, verdict = f"≥ {ratio.goal:.2f}", "reported"
        else:
            goal = f"≥ {ratio.goal:.2f}"
            verdict = "met" if figure["median"] >= ratio.goal else "MISSED"
        name = f"{ratio.numerator} ÷ {ratio.denominator}, {ratio.path}"
        rounds = ", ".join(f"{value:.3f}" for value in figure["rounds"])
        print(f"  {name:40} {figure['median']:6.3f}  {goal:6} {verdict:9} [{rounds}]")
    login = figures["login_ms"]
    if goals_apply:
        verdict = "met" if login["p50"] <= LOGIN_P50_GOAL_MS else "MISSED"
    else:
        verdict = "reported"
    print(
        f"\n  {'POST /api/auth/login/ (ms)':40} p50 {login['p50']:.1f}, p90 {login['p90']:.1f} "
        f"over {login['logins']} logins; goal p50 ≤ {LOGIN_P50_GOAL_MS:.0f} ms {verdict} "
        f"({figures['password_hasher'].rsplit('.', 1)[1]})"
    )
    cycle = figures.get("session_cycle_ms")
    label = "login → refresh → request (median ms)"
    if cycle is None:
        print(f"  {label:40} not measured (the own build was left out)", flush=True)
    else:
        print(
            f"  {label:40} {cycle['cycle']:.1f} = {cycle['login']:.1f} + {cycle['refresh']:.1f} "
            f"+ {cycle['request']:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
