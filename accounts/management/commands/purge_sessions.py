from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from accounts.models import LoginSession
from common.integers import bounded_int

MAX_DAYS = 36_500  # a century: any cutoff a date can hold
MAX_BATCH = 100_000  # a list of ids any database takes in one statement


class Command(BaseCommand):
    help = (
        "Delete login sessions that ended or expired more than --days days ago, in batches. "
        "Safe to run at any time and as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=bounded_int(0, MAX_DAYS),
            default=30,
            help="Keep sessions that ended or expired within this many days (default 30).",
        )
        parser.add_argument(
            "--batch-size",
            type=bounded_int(1, MAX_BATCH),
            default=1000,
            help="Rows deleted per statement.",
        )

    def handle(self, *args, days: int, batch_size: int, **options):
        cutoff = timezone.now() - timedelta(days=days)
        stale = LoginSession.objects.filter(
            Q(ended_at__lt=cutoff) | Q(expires_at__lt=cutoff) | Q(idle_expires_at__lt=cutoff)
        )
        deleted = 0
        while ids := list(stale.order_by().values_list("pk", flat=True)[:batch_size]):
            deleted += LoginSession.objects.filter(pk__in=ids).delete()[0]
        self.stdout.write(
            f"Deleted {deleted} login session(s) that ended or expired before "
            f"{cutoff:%Y-%m-%d %H:%M} UTC ({days} days ago)."
        )
