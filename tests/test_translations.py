"""The Spanish catalog is complete and compiled: every string the code marks for translation has a
Spanish translation in locale/es, and the committed django.mo says what django.po says.

Pure Python (Babel), so it runs where GNU gettext is not installed.
"""

from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.helpers import PROJECT_DIR

CATALOG = PROJECT_DIR / "locale" / "es" / "LC_MESSAGES"
# Django's translation functions, as `manage.py makemessages` knows them.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# What makemessages is told to skip (docs/how-to/translations.md); Babel skips dot-folders itself.
# mutants/ is `make mutate`'s git-ignored copy of the code, with its strings mutated.
METHOD_MAP = [
    ("bench/**", "ignore"),
    ("tests/**", "ignore"),
    ("mutants/**", "ignore"),
    ("staticfiles/**", "ignore"),
    ("**.py", "python"),
]


def marked_strings() -> dict[tuple[str, str | None], str]:
    """(msgid, context) → where it is marked, for every marked string of the project."""
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        PROJECT_DIR, method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((msgid, context), f"{filename}:{lineno}")
    return found


def spanish_catalog():
    with (CATALOG / "django.po").open("rb") as po:
        return read_po(po, locale="es")


def compiled(catalog) -> dict:
    # A plural message's id and translations are sequences: compare them as tuples.
    return {(_hashable(m.id), m.context): _hashable(m.string) for m in catalog if m.id}


def _hashable(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_extractor_sees_the_projects_marked_strings():
    strings = marked_strings()
    # One from each app and from the settings: the extraction itself works.
    for msgid in (
        "The token has expired.",
        "A movie with this title and year already exists.",
        "Must be a whole number of at least 1.",
        "The movie catalog (admins only).",
    ):
        assert (msgid, None) in strings
    skipped = ("tests/", "bench/", "mutants/", ".venv/")
    assert not any(where.startswith(skipped) for where in strings.values())


def test_every_marked_string_has_a_spanish_translation():
    catalog = spanish_catalog()
    problems = []
    for (msgid, context), where in sorted(marked_strings().items()):
        message = catalog.get(msgid, context=context)
        forms = message.string if message else None
        if message is None:
            problems.append(f"{where}: {msgid!r} is not in django.po")
        elif message.fuzzy:
            problems.append(f"{where}: {msgid!r} is marked fuzzy")
        elif not all(forms if isinstance(forms, tuple) else [forms]):
            problems.append(f"{where}: {msgid!r} has no Spanish translation")
    assert problems == [], (
        "Run `manage.py makemessages -l es --ignore=.venv --ignore=bench --ignore=tests "
        "--ignore=mutants`, "
        "translate, then `manage.py compilemessages` (docs/how-to/translations.md):\n"
        + "\n".join(problems)
    )


def test_translations_keep_their_placeholders():
    errors = [
        f"{message.id!r}: {error}" for message, errs in spanish_catalog().check() for error in errs
    ]
    assert errors == []


def test_the_committed_mo_file_is_the_compiled_po_file():
    catalog = spanish_catalog()
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    expected = compiled(read_mo(buffer))
    with (CATALOG / "django.mo").open("rb") as mo:
        committed = read_mo(mo)
    assert compiled(committed) == expected, (
        "django.mo is stale: run `manage.py compilemessages` (or `pybabel compile -d locale "
        "-D django`) and commit it"
    )
    assert committed.plural_forms == catalog.plural_forms


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("The token has expired.", "El token ha caducado."),
        ("Movie catalog", "Catálogo de películas"),
    ],
)
def test_django_reads_the_committed_catalog(english, spanish):
    from django.utils import translation

    with translation.override("es"):
        assert translation.gettext(english) == spanish
    with translation.override("en"):
        assert translation.gettext(english) == english
