# Titles that forgive typos (movies/search.py): a trigram index of titles (pg_trgm), which the
# search reads when no movie has the words. A no-op on SQLite.

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TRIGRAM_INDEX = GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="movie_title_trgm_idx")


def add_trigram_index(apps, schema_editor):
    # Not in Movie.Meta.indexes, as 0002's search index: SQLite has no GIN.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("movies", "Movie"), TRIGRAM_INDEX)


def remove_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("movies", "Movie"), TRIGRAM_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0003_versions_history_idempotency"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_trigram_index, remove_trigram_index),
    ]
