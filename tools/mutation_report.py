"""Score per file from ``mutmut results --all=true`` (read on stdin), and the surviving mutants.

Used by ``make mutate`` (tests/MUTATION.md). A mutant counts as caught when the tests failed
(``killed``) or hung (``timeout``); anything else that was checked survived. Exits 1 when a mutant
was left unchecked or a file scores under ``--min`` per cent, so the target fails visibly.
"""

import argparse
import re
import sys
from collections import Counter, defaultdict

# "    accounts.tokens.x__claims_from_payload__mutmut_12: killed"
# "    accounts.models.xǁUserǁsave__mutmut_3: survived"
LINE = re.compile(r"^\s*(?P<module>[\w.]+?)\.x[_ǁ](?P<rest>\S+): (?P<status>.+)$")
CAUGHT = {"killed", "timeout", "caught by type check"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min", type=float, default=95.0, help="lowest acceptable score, in %%")
    args = parser.parse_args()

    statuses: dict[str, Counter] = defaultdict(Counter)
    survivors: list[tuple[str, str]] = []
    for line in sys.stdin:
        match = LINE.match(line)
        if match is None:
            continue
        path = match["module"].replace(".", "/") + ".py"
        name = line.split(":", 1)[0].strip()
        status = match["status"].strip()
        statuses[path][status] += 1
        if status not in CAUGHT:
            survivors.append((name, status))

    failed = False
    print(f"{'file':<30} {'killed':>6} / {'total':<5} {'score':>7}")
    for path in sorted(statuses):
        counts = statuses[path]
        total = sum(counts.values())
        caught = sum(counts[status] for status in CAUGHT)
        score = 100 * caught / total
        failed |= score < args.min or counts["not checked"] > 0
        print(f"{path:<30} {caught:>6} / {total:<5} {score:>6.1f} %")
    if not statuses:
        print("No mutants found: did `mutmut run` run?")
        return 1
    print(f"\nSurviving mutants ({len(survivors)}); see each with `.venv/bin/mutmut show NAME`:")
    for name, status in survivors:
        print(f"  {name}: {status}")
    if failed:
        print(f"\nA file scores under {args.min:g} % or has unchecked mutants.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
