"""Benchmark-only settings: production settings plus an unauthenticated twin of the movie API.

Loaded only by ``make bench`` (DJANGO_SETTINGS_MODULE=bench.settings); production never sees it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
