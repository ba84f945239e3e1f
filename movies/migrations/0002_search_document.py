# Full-text search of title and overview (movies/search.py). Everything PostgreSQL-specific is a
# no-op on SQLite, where the column exists but holds NULL.

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

import movies.search

SEARCH_INDEX = GinIndex(fields=["search_document"], name="movie_search_document_idx")


def create_search_configuration(apps, schema_editor):
    # unaccent() the function is STABLE, so it cannot feed a stored column or an index; the
    # unaccent *dictionary* inside a text search configuration can.
    if schema_editor.connection.vendor != "postgresql":
        return
    config = movies.search.SEARCH_CONFIG
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = simple)")
    schema_editor.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {config} "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple"
    )


def drop_search_configuration(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION {movies.search.SEARCH_CONFIG}")


def add_search_index(apps, schema_editor):
    # Not in Movie.Meta.indexes: SQLite has no GIN, and it rebuilds the model's indexes whenever
    # it remakes the table.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("movies", "Movie"), SEARCH_INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("movies", "Movie"), SEARCH_INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ('movies', '0001_initial'),
    ]

    operations = [
        CreateExtension("unaccent"),
        migrations.RunPython(create_search_configuration, drop_search_configuration),
        migrations.AddField(
            model_name='movie',
            name='search_document',
            field=models.GeneratedField(db_persist=True, expression=movies.search.MovieSearchDocument(), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.RunPython(add_search_index, remove_search_index),
    ]
