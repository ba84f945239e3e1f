from django.core.management.base import BaseCommand
from django.utils import timezone

from common.integers import bounded_int
from movies.idempotency import RETENTION
from movies.models import IdempotentRequest


class Command(BaseCommand):
    help = (
        "Delete the records of Idempotency-Key requests older than a day (a retry after that "
        "is a new request), in batches. Safe to run at any time and as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=bounded_int(1, 100_000),
            default=1000,
            help="Rows deleted per statement.",
        )

    def handle(self, *args, batch_size: int, **options):
        stale = IdempotentRequest.objects.filter(created_at__lte=timezone.now() - RETENTION)
        deleted = 0
        while ids := list(stale.order_by().values_list("pk", flat=True)[:batch_size]):
            deleted += IdempotentRequest.objects.filter(pk__in=ids).delete()[0]
        self.stdout.write(f"Deleted {deleted} Idempotency-Key record(s) older than a day.")
