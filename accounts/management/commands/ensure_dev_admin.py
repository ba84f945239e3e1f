from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_password_check

DEV_ADMIN_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = (
        "Development only: create an admin if there is none, and print the development "
        "admin's email and password (kept in the untracked .dev-secrets.json)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG or not settings.DEV_ADMIN_PASSWORD:
            raise CommandError("ensure_dev_admin runs only with DJANGO_DEBUG on.")
        password = settings.DEV_ADMIN_PASSWORD
        if not User.objects.filter(is_staff=True, is_active=True).exists():
            User.objects.create_superuser(DEV_ADMIN_EMAIL, password)
            self.stdout.write("Created the development admin.")
        user = User.objects.filter(email=DEV_ADMIN_EMAIL).first()
        if user is not None and user_password_check(user=user, raw_password=password):
            self.stdout.write(f"Development admin: {DEV_ADMIN_EMAIL}  password: {password}")
        else:
            self.stdout.write(
                "An admin exists already; use its credentials "
                "(python manage.py createsuperuser makes another)."
            )
