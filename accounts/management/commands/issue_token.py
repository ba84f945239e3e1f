from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.tokens import issue_access_token


class Command(BaseCommand):
    help = "Print an access token for an existing admin (for scripts and CI)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        try:
            user = User.objects.get_by_natural_key(email)
        except User.DoesNotExist:
            raise CommandError(f"No user has the email {email!r}.") from None
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{user.email} is not an active admin.")
        self.stdout.write(issue_access_token(user).value)
