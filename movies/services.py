"""Writes of the movies app."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from movies.models import Movie
from movies.selectors import movie_title_year_taken

SAMPLE_CATALOG = Path(__file__).with_name("sample_catalog.json")


@transaction.atomic
def sample_catalog_load(*, path: Path = SAMPLE_CATALOG) -> int:
    """Add the sample films that are not in the catalog yet; return how many were added.

    Films already there (same title and year, ignoring case) are left as they are, so running
    it again adds nothing and never undoes an admin's edits.
    """
    added = 0
    for entry in json.loads(path.read_text(encoding="utf-8")):
        if movie_title_year_taken(title=entry["title"], year=entry["year"]):
            continue
        movie = Movie(**{**entry, "rating": Decimal(str(entry["rating"]))})
        # Field rules only: the title-and-year check just ran, and the database has the rest.
        movie.full_clean(validate_constraints=False)
        movie.save()
        added += 1
    return added
