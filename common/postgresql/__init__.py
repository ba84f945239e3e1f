"""Django's PostgreSQL backend with a bound on every wait for the server (``base.py``)."""

# The engines that are PostgreSQL: Django's, and this one built on it.
ENGINES = ("django.db.backends.postgresql", "common.postgresql")
