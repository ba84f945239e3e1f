from django.core.management.base import BaseCommand

from movies.models import Movie
from movies.services import sample_catalog_load


class Command(BaseCommand):
    help = "Add the sample films that are missing from the catalog (safe to run again)."

    def handle(self, *args, **options):
        added = sample_catalog_load()
        self.stdout.write(
            f"Sample catalog: {added} films added, {Movie.objects.count()} in the catalog."
        )
