"""The Spanish catalog is complete and compiled: every string the code marks for translation has a
Spanish translation in locale/es, and the committed django.mo says what django.po says.

Pure Python (Babel), so it runs where GNU gettext is not installed.
"""

from io import BytesIO
from pathlib import Path

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


# docs/how-to/translations.md, "The project's Spanish": the library messages the project words
# anew, each with the library's own Spanish it replaces.
OVERRIDDEN = {
    "Authentication credentials were not provided.",
    "Request was throttled.",
    "Expected available in {wait} second.",
    "Expected available in {wait} seconds.",
    "This field is required.",
    "This field may not be blank.",
    '"{input}" is not a valid choice.',
    "Ensure this value is greater than or equal to {min_value}.",
    "Ensure this value is less than or equal to {max_value}.",
    "Ensure that there are no more than {max_digits} digits in total.",
    "Ensure that there are no more than {max_decimal_places} decimal places.",
    "Ensure that there are no more than {max_whole_digits} digits before the decimal point.",
    "Invalid page.",
    "Not a valid string.",
    "You do not have permission to perform this action.",
    'Unsupported media type "{media_type}" in request.',
    "ascending",
    "descending",
    "Ensure this value is greater than or equal to %(limit_value)s.",
    "Ensure this value is less than or equal to %(limit_value)s.",
    "Please enter the correct %(username)s and password for a staff account. Note that both "
    "fields may be case-sensitive.",
    "The password is too similar to the %(verbose_name)s.",
    "History",
}


def _library_spanish() -> dict[str, set[str]]:
    """Each message of the installed apps' own Spanish catalogs (Django's, DRF's, …), with
    its Spanish in each that has it."""
    import django
    import rest_framework

    found = {}
    roots = [Path(django.__file__).parent, Path(rest_framework.__file__).parent]
    for root in roots:
        for path in root.rglob("locale/es/LC_MESSAGES/django.mo"):
            with path.open("rb") as compiled:
                for message in read_mo(compiled):
                    if message.id and isinstance(message.id, str):
                        found.setdefault(message.id, set()).add(message.string)
    return found


def test_the_project_rewords_exactly_these_library_messages():
    from common.translation_overrides import OVERRIDDEN as marked

    assert set(marked) == OVERRIDDEN
    library = _library_spanish()
    ours = {message.id: message.string for message in spanish_catalog() if message.id}
    for message_id in OVERRIDDEN:
        assert message_id in library, message_id  # a library message, still there
        assert ours[message_id], message_id
        # Replacing a library's wording ("Este campo es requerido." is DRF's; Django's own
        # "obligatorio" is the project's word too).
        assert library[message_id] - {ours[message_id]}, message_id


def _glossary() -> list[tuple[str, list[str]]]:
    """(Spanish term, words never to use instead) per row of the glossary."""
    page = (PROJECT_DIR / "docs" / "how-to" / "translations.md").read_text()
    table = page.split("## The project's Spanish", 1)[1].split("\n\n")[2]
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return [
        (spanish.strip(), [word.strip() for word in never.split(",") if word.strip()])
        for _, spanish, never in rows
    ]


def test_spanish_texts_use_the_glossarys_words_and_never_the_rejected_ones():
    texts = {
        "the catalog": " ".join(
            " ".join(_hashable(message.string))
            if not isinstance(message.string, str)
            else message.string
            for message in spanish_catalog()
            if message.id
        ),
        "the tutorial": (PROJECT_DIR / "docs" / "como-funciona.md").read_text(),
    }
    glossary = _glossary()
    assert len(glossary) >= 10
    everything = " ".join(texts.values()).lower()
    for term, never in glossary:
        # "iniciar sesión / inicio de sesión": each is used somewhere; "revocar, revocación":
        # one of them at least.
        for form in term.split(" / "):
            words = [word.strip().lower() for word in form.split(",")]
            assert any(word in everything for word in words), f"{form!r} is used nowhere"
        for where, text in texts.items():
            for word in never:
                assert word.lower() not in text.lower(), f"{where} says {word!r}, not {term!r}"
