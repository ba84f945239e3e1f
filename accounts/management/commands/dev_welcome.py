from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand

PAGES = (
    ("API", "/api/movies/"),
    ("Swagger UI", "/api/docs/"),
    ("  in Spanish", "/api/docs/?lang=es"),
    ("Redoc", "/api/redoc/"),
    ("Django admin", "/admin/"),
    ("Health", "/healthz"),
)
RULE = "=" * 72


class Command(BaseCommand):
    help = (
        "Development only (make run): make sure the development admin exists, then print one "
        "block with its email, its password and the URLs, so it is the last thing before the "
        "server's banner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options):
        admin = StringIO()
        call_command("ensure_dev_admin", stdout=admin)
        base = f"http://{host}:{port}"
        lines = [
            RULE,
            "Movie catalog API: development server",
            "",
            *admin.getvalue().splitlines(),
            "",
            *(f"{name:<14}{base}{path}" for name, path in PAGES),
            RULE,
        ]
        self.stdout.write("\n".join(lines))
