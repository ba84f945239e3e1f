from django.core.management.base import BaseCommand

from movies.models import Movie
from movies.services import sample_catalog_load


class Command(BaseCommand):
    help = (
        "Fill an empty catalog with the sample films. A catalog with any film in it is left "
        "alone, so the sample never brings back a deleted film (safe to run again)."
    )

    def handle(self, *args, **options):
        added = sample_catalog_load()
        count = Movie.objects.count()
        if added:
            self.stdout.write(f"Sample catalog: {added} films added.")
        else:
            self.stdout.write(
                f"Sample catalog: not loaded, {count} in the catalog already "
                "(the sample fills only an empty catalog)."
            )
