"""Benchmark-only settings: production settings plus the benchmark's twins of the movie API.

Loaded only by ``make bench`` (DJANGO_SETTINGS_MODULE=bench.settings); production never sees it.
"""

import os
import secrets
from datetime import timedelta

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# djangorestframework-simplejwt, for the comparison build at /bench/simplejwt/ (bench/auth.py):
# HS256 with a key of its own (neither SECRET_KEY nor the project's JWT keys), and the issuer and
# audience checks the project's tokens get too. bench/auth.py puts the key in the environment so
# that every gunicorn worker verifies with the key the tokens were signed with; the random
# fallback only suits a single process. The lifetime outlasts any run.
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ.get("BENCH_SIMPLEJWT_SIGNING_KEY") or secrets.token_urlsafe(48),
    "ISSUER": "movies-api-bench",
    "AUDIENCE": "movies-api-bench",
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=2),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}

# Thousands of logins a run: the accounts logger's INFO lines would only fill the log.
LOGGING["loggers"]["accounts"]["level"] = "WARNING"  # noqa: F405
