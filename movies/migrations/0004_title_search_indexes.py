# Indexes of titles for search (movies/search.py): a trigram index (pg_trgm), which the search
# reads when no movie has the words (a typo), and an index of each title's words, which finds a
# title equal to the text. A no-op on SQLite.

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from movies.search import title_words

TITLE_INDEXES = [
    GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="movie_title_trgm_idx"),
    models.Index(title_words(), name="movie_title_words_idx"),
]


def add_title_indexes(apps, schema_editor):
    # Not in Movie.Meta.indexes, as 0002's search index: SQLite has neither.
    if schema_editor.connection.vendor == "postgresql":
        for index in TITLE_INDEXES:
            schema_editor.add_index(apps.get_model("movies", "Movie"), index)


def remove_title_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in TITLE_INDEXES:
            schema_editor.remove_index(apps.get_model("movies", "Movie"), index)


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0003_versions_history_idempotency"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_title_indexes, remove_title_indexes),
    ]
