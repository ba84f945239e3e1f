"""Every relative link of the README, the changelog and the docs names a file that exists and,
after ``#``, a heading of it, as GitHub makes heading anchors; and the README stays short."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.helpers import PROJECT_DIR

PAGES = [
    PROJECT_DIR / "README.md",
    PROJECT_DIR / "CHANGELOG.md",
    *sorted((PROJECT_DIR / "docs").rglob("*.md")),
]
FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """``text`` without its code: links inside code blocks or spans are not links."""
    return INLINE_CODE.sub("", FENCED.sub("", text))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text as rendered, lower-cased, without punctuation
    (letters, marks, digits, underscores, hyphens and spaces stay), spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = text.lower()
    kept = "".join(
        char for char in text if char in "-_ " or unicodedata.category(char)[0] in {"L", "M", "N"}
    )
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of ``page``; a repeated heading's get -1, -2, … as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCED.sub("", page.read_text(encoding="utf-8"))):
        anchor = github_anchor(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(page.read_text(encoding="utf-8")))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)  # http:, mailto:, …
    ]


def broken(page: Path, target: str) -> str | None:
    path_part, _, fragment = target.partition("#")
    destination = page
    if path_part:
        destination = (page.parent / unquote(path_part)).resolve()
        if not destination.exists():
            return "no such file"
        if PROJECT_DIR.resolve() not in (destination, *destination.parents):
            return "outside the repository"
    if fragment:
        if destination.suffix != ".md":
            return "an anchor in a file that is not Markdown"
        if unquote(fragment) not in anchors(destination):
            return f"no heading #{fragment} in {destination.name}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_DIR)))
def test_every_relative_link_resolves(page):
    assert page.exists()
    problems = [
        f"{target}: {problem}"
        for target in relative_links(page)
        if (problem := broken(page, target)) is not None
    ]
    assert problems == []


def test_the_pages_link_to_each_other():
    links = {page: relative_links(page) for page in PAGES}
    assert sum(len(found) for found in links.values()) > 40
    # Every page of docs/ is reachable from the README.
    readme = {
        (PROJECT_DIR / target.partition("#")[0]).resolve()
        for target in links[PROJECT_DIR / "README.md"]
    }
    assert set(PAGES[2:]) <= readme


def test_the_readme_is_at_most_200_lines():
    lines = (PROJECT_DIR / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 200


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Rotating the signing key", "rotating-the-signing-key"),
        (
            "Why revocations travel by PostgreSQL `LISTEN`/`NOTIFY`, not Redis pub/sub",
            "why-revocations-travel-by-postgresql-listennotify-not-redis-pubsub",
        ),
        ("1. What is in a token", "1-what-is-in-a-token"),
        ("Add a resource: `directors`", "add-a-resource-directors"),
        ("Cómo funciona: tokens, peticiones", "cómo-funciona-tokens-peticiones"),
        ("What `make test` asks of you next", "what-make-test-asks-of-you-next"),
    ],
)
def test_anchors_follow_githubs_rules(heading, anchor):
    assert github_anchor(heading) == anchor


def test_a_missing_file_or_heading_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[ok](#title) [gone](nowhere.md) [bad](#nothing) `[code](nowhere.md)`\n",
        encoding="utf-8",
    )
    assert [broken(page, target) for target in relative_links(page)] == [
        None,
        "no such file",
        "no heading #nothing in page.md",
    ]
