# Ranked search that reads the best matches from an index (movies/search.py): RUM indexes of
# titles' words and of search documents, where PostgreSQL has the rum extension (Debian:
# postgresql-15-rum). Without it, nothing is created and ranked search keeps to the GIN index of
# migration 0002. Installed later: `manage.py migrate movies 0004 && manage.py migrate` creates
# them. A no-op on SQLite.

from django.contrib.postgres.indexes import OpClass
from django.db import migrations

from movies.search import RUM_INDEX_NAME, TITLE_RUM_INDEX_NAME, RumIndex, title_words

RUM_INDEXES = [
    RumIndex(fields=["search_document"], opclasses=["rum_tsvector_ops"], name=RUM_INDEX_NAME),
    RumIndex(OpClass(title_words(), name="rum_tsvector_ops"), name=TITLE_RUM_INDEX_NAME),
]


def rum_available(schema_editor) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return cursor.fetchone() is not None


def add_rum_indexes(apps, schema_editor):
    if rum_available(schema_editor):
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        for index in RUM_INDEXES:
            schema_editor.add_index(apps.get_model("movies", "Movie"), index)


def remove_rum_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in RUM_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index.name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0004_title_search_indexes"),
    ]

    operations = [
        migrations.RunPython(add_rum_indexes, remove_rum_indexes),
    ]
