"""WSGI entry point for gunicorn. Serving defaults to production: debug off unless set."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")

application = get_wsgi_application()
