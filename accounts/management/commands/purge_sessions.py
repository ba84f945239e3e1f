from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from accounts.models import LoginSession


class Command(BaseCommand):
    help = (
        "Delete login sessions that ended or expired more than --days days ago, in batches. "
        "Safe to run at any time and as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=30,
            help="Keep sessions that ended or expired within this many days (default 30).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Rows deleted per statement."
        )

    def handle(self, *args, days: int, batch_size: int, **options):
        if days < 0 or batch_size < 1:
            raise CommandError("--days must be at least 0 and --batch-size at least 1.")
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
