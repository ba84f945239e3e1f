from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import session_start


class Command(BaseCommand):
    help = (
        "Start a session for an existing admin and print its access token (for scripts and CI); "
        "the session appears in the admin's session list."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        try:
            user = User.objects.get_by_natural_key(email)
        except User.DoesNotExist:
            raise CommandError(f"No user has the email {email!r}.") from None
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{user.email} is not an active admin.")
        self.stdout.write(session_start(user=user).access.value)
