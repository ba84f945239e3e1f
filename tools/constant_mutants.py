"""Mutants of the auth code's module-level constants, which mutmut 3 never mutates.

Used by ``make mutate`` after mutmut (tests/MUTATION.md). Each mutant changes one constant that
is a rule (a limit moved by one, a claim or a credential field dropped, a key name changed) in a
copy of the project's tracked files, then runs the auth tests that mutmut runs, stopping at the
first failure. Prints killed / total and each survivor; exits 1 if any mutant survives.
"""

import argparse
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ("iss", "aud", "sub", "email", "iat", "exp", "jti", "sid")
CREDENTIALS = ("password", "email", "is_staff", "is_active")
KEY_KINDS = ("address", "pair", "failures", "device")


def mutants() -> list[tuple[str, str, str]]:
    """(file, the constant as written, its mutant)."""
    claims = f"REQUIRED_CLAIMS = {_source(CLAIMS)}"
    credentials = f"CREDENTIAL_FIELDS = {_source(CREDENTIALS)}"
    kinds = "ADDRESS, PAIR, FAILURES, DEVICE = " + ", ".join(f'"{kind}"' for kind in KEY_KINDS)
    trusted = "DEVICE_TOKEN_SECONDS = 30 * 24 * 3600"
    return [
        ("accounts/tokens.py", "MAX_TOKEN_LENGTH = 4096", "MAX_TOKEN_LENGTH = 4095"),
        ("accounts/tokens.py", "MAX_TOKEN_LENGTH = 4096", "MAX_TOKEN_LENGTH = 4097"),
        ("accounts/tokens.py", "MAX_USER_ID = 2**63 - 1", "MAX_USER_ID = 2**63"),
        ("accounts/tokens.py", "MAX_USER_ID = 2**63 - 1", "MAX_USER_ID = 2**63 - 2"),
        ("accounts/tokens.py", "REFRESH_TOKEN_BYTES = 32", "REFRESH_TOKEN_BYTES = 31"),
        ("accounts/tokens.py", "MAX_REFRESH_TOKEN_LENGTH = 256", "MAX_REFRESH_TOKEN_LENGTH = 255"),
        ("accounts/tokens.py", "MAX_REFRESH_TOKEN_LENGTH = 256", "MAX_REFRESH_TOKEN_LENGTH = 257"),
        ("accounts/tokens.py", 'ALGORITHM = "HS256"', 'ALGORITHM = "HS384"'),
        ("accounts/tokens.py", 'TOKEN_TYPE = "JWT"', 'TOKEN_TYPE = "JWS"'),
        *(
            ("accounts/tokens.py", claims, f"REQUIRED_CLAIMS = {_source(_without(CLAIMS, claim))}")
            for claim in CLAIMS
        ),
        ("accounts/authentication.py", 'keyword = "Bearer"', 'keyword = "Token"'),
        ("accounts/authentication.py", 'realm = "api"', 'realm = "API"'),
        ("accounts/login_policy.py", "ADDRESS_FACTOR = 4", "ADDRESS_FACTOR = 3"),
        ("accounts/login_policy.py", "ADDRESS_FACTOR = 4", "ADDRESS_FACTOR = 5"),
        ("accounts/login_policy.py", trusted, f"{trusted} + 1"),
        ("accounts/login_policy.py", trusted, f"{trusted} - 1"),
        ("accounts/login_policy.py", 'f"login-policy:{kind}', 'f"login:{kind}'),
        *(
            ("accounts/login_policy.py", kinds, kinds.replace(f'"{kind}"', f'"{kind}s"'))
            for kind in KEY_KINDS
        ),
        ("accounts/models.py", "USER_AGENT_LENGTH = 255", "USER_AGENT_LENGTH = 254"),
        *(
            (
                "accounts/models.py",
                credentials,
                f"CREDENTIAL_FIELDS = {_source(_without(CREDENTIALS, f))}",
            )
            for f in CREDENTIALS
        ),
    ]


def _without(values: tuple[str, ...], left_out: str) -> tuple[str, ...]:
    return tuple(value for value in values if value != left_out)


def _source(values: tuple[str, ...]) -> str:
    """A tuple of strings as the project writes it (ruff format: double quotes)."""
    return "(" + ", ".join(f'"{value}"' for value in values) + ")"


def pytest_arguments() -> list[str]:
    """The tests and options mutmut runs (``[tool.mutmut]`` in pyproject.toml)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return [*config["pytest_add_cli_args"], *config["pytest_add_cli_args_test_selection"]]


def copy_project(target: Path) -> None:
    """The tracked files, as they are in the working tree."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, files):
        source, copy = ROOT / name, target / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(source.read_bytes())


def run_mutants(cases: list[tuple[str, str, str]], arguments: list[str]) -> list[str]:
    """Each mutant in turn in one copy of the project; returns the survivors."""
    survivors = []
    with tempfile.TemporaryDirectory(prefix="constant-mutants-") as folder:
        copy = Path(folder)
        copy_project(copy)
        for path, original, mutant in cases:
            source = (copy / path).read_text()
            if source.count(original) != 1:
                raise SystemExit(f"{path}: {original!r} is not written once; update {__file__}")
            (copy / path).write_text(source.replace(original, mutant))
            try:
                run = subprocess.run(
                    [sys.executable, "-m", "pytest", "-x", *arguments],
                    cwd=copy,
                    capture_output=True,
                    text=True,
                )
            finally:
                (copy / path).write_text(source)
            if run.returncode == 0:
                survivors.append(f"{path}: {mutant}")
            elif run.returncode != 1:  # 1: a test failed; anything else: they could not run
                raise SystemExit(f"{path}: {mutant}: pytest exited {run.returncode}\n{run.stdout}")
    return survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="copies of the project run at once")
    jobs = parser.parse_args().jobs
    cases, arguments = mutants(), pytest_arguments()
    with ThreadPoolExecutor(jobs) as pool:
        shares = pool.map(
            run_mutants, [cases[job::jobs] for job in range(jobs)], [arguments] * jobs
        )
        survivors = [survivor for share in shares for survivor in share]
    print(f"\nModule-level constants: {len(cases) - len(survivors)} / {len(cases)} mutants killed")
    for survivor in survivors:
        print(f"  survived: {survivor}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
