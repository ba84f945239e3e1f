"""Project settings. Every value comes from the environment (see docs/reference/configuration.md).

Development needs no variable at all: ``manage.py`` defaults to debug, and the secrets it needs are
generated once into ``.dev-secrets.json`` (untracked). The WSGI/ASGI entry points default to debug
off, where a missing or weak secret stops start-up.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from common.env import (
    SECRET_KEY_MIN_CHARACTERS,
    env_bool,
    env_int,
    env_list,
    env_str,
    local_dev_secrets,
    parse_signing_keys,
    require_strong_secret,
    signing_key_problems,
)
from common.swagger_ui import SWAGGER_UI_SETTINGS

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)

if DEBUG:
    _dev = local_dev_secrets(
        Path(env_str("DJANGO_DEV_SECRETS_FILE") or BASE_DIR / ".dev-secrets.json")
    )
    SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _dev["secret_key"]
    _signing_keys = env_str("JWT_SIGNING_KEYS") or f"dev:{_dev['jwt_key']}"
    DEV_ADMIN_PASSWORD = _dev["admin_password"]
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = require_strong_secret(
        "DJANGO_SECRET_KEY",
        env_str("DJANGO_SECRET_KEY"),
        min_characters=SECRET_KEY_MIN_CHARACTERS,
    )
    _signing_keys = env_str("JWT_SIGNING_KEYS")
    if not _signing_keys:
        raise ImproperlyConfigured("JWT_SIGNING_KEYS must be set when DJANGO_DEBUG is off.")
    DEV_ADMIN_PASSWORD = None
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

_signing_key_pairs = parse_signing_keys(_signing_keys)
if not DEBUG and (_problems := signing_key_problems(_signing_key_pairs)):
    raise ImproperlyConfigured(f"{_problems[0]}: not allowed when DJANGO_DEBUG is off.")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # django.contrib.admin, its login under the login policy
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # search: trigram lookups (a no-op on SQLite)
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "common",
    "accounts",
    "movies",
]

MIDDLEWARE = [
    # First, so it also sees the pages Django renders for errors raised in later middleware.
    "common.errors.JsonErrorsUnderApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "common.docs.PageContentSecurityPolicyMiddleware",  # the admin's pages too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.DependencyOutageMiddleware",  # database/cache down: 503, never 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Accept-Language picks the language of every message (see LANGUAGES below).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changed a movie, for its history: the admin's user, or the API's once DRF has
    # authenticated the request (DRF sets the user on Django's request too).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
_statement_timeout = env_int("DATABASE_STATEMENT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    for _option, _value in {
        # An unreachable database fails a request in ~2 s (a 503), not after the OS's TCP timeout.
        "connect_timeout": 2,
        # A statement the server does not finish in time (a lock held elsewhere, a runaway plan)
        # is cancelled there: an OperationalError, so a 503, not a worker stuck until gunicorn
        # kills it. 0 turns it off (a long migration: docs/how-to/deploy-and-scale.md).
        "options": f"-c statement_timeout={_statement_timeout}s",
        # A kept connection whose server host died or became unreachable is found dead in about
        # ten seconds, not after the kernel's minutes of retransmissions.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": 10_000,
    }.items():
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(_option, _value)
    # Django's backend, with a bound on every wait for the server (common/postgresql): a server
    # or proxy that stays connected and stops answering fails a request in about 5 s (a 503).
    DATABASES["default"]["ENGINE"] = "common.postgresql"
# Seconds a statement (a second after the server's own statement_timeout; none when that is
# off) and the health check of a kept connection may wait for the server.
DATABASE_WAIT = {
    "statement": _statement_timeout + 1 if _statement_timeout else None,
    "health_check": 3,
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("DJANGO_CACHE_KEY_PREFIX", "movies-api"),
            # A Redis that is down or hung fails fast: its callers answer 503 within a second.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# The login's password check, whose re-hash of an outdated hash keeps the user's sessions.
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
# Argon2id first (memory-hard; accounts/hashers.py gives its parameters); a hash made by another
# hasher below is re-hashed with it at the user's next successful login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotBlankPasswordValidator"},
    {"NAME": "accounts.validators.NotCurrentPasswordValidator"},
]

# The default language, and those a client may ask for with Accept-Language. Django's and DRF's
# own messages ship in both; the project's are in locale/es (docs/how-to/translations.md).
LANGUAGE_CODE = env_str("DJANGO_LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# HTTPS: on by default outside debug. DJANGO_HTTPS=false is for serving plain HTTP locally;
# behind a TLS-terminating proxy keep it on and set DJANGO_SECURE_PROXY_SSL_HEADER=true.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe health over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

JWT = {
    "SIGNING_KEYS": _signing_key_pairs,
    "ACCESS_TOKEN_LIFETIME": env_int("JWT_ACCESS_TOKEN_LIFETIME", 900, minimum=1),
    # Sessions (docs/explanation/sessions-and-revocation.md): idle and absolute lifetimes,
    # and the reuse grace window.
    "REFRESH_TOKEN_LIFETIME": env_int("JWT_REFRESH_TOKEN_LIFETIME", 14 * 86400, minimum=1),
    "SESSION_MAX_AGE": env_int("JWT_SESSION_MAX_AGE", 30 * 86400, minimum=1),
    "REFRESH_REUSE_GRACE": env_int("JWT_REFRESH_REUSE_GRACE", 10),
    "ISSUER": env_str("JWT_ISSUER", "movies-api"),
    "AUDIENCE": env_str("JWT_AUDIENCE", "movies-api"),
    "LEEWAY": env_int("JWT_LEEWAY", 10),
    # Revocation (docs/explanation/sessions-and-revocation.md): sessions each worker
    # remembers (0: read every request), how long a call that ends sessions waits for every
    # worker's listener, and the address the listeners use (a direct PostgreSQL connection;
    # default: DATABASE_URL).
    "SESSION_MEMORY_SIZE": env_int("JWT_SESSION_MEMORY_SIZE", 10_000, minimum=0),
    "REVOCATION_WAIT": env_int("JWT_REVOCATION_WAIT", 250, minimum=0) / 1000,  # seconds
    "REVOCATION_LISTEN_DATABASE": (
        dj_database_url.parse(env_str("JWT_REVOCATION_LISTEN_URL"))
        if env_str("JWT_REVOCATION_LISTEN_URL")
        else None
    ),
}

# Writes to a resource with an ETag must name the version they change (If-Match), or get a 428.
REQUIRE_IF_MATCH = env_bool("API_REQUIRE_IF_MATCH", False)

# Which index a ranked search reads on PostgreSQL (movies/search.py): "auto", the RUM index where
# migrations could create it, else GIN; "gin" forces the GIN path (tests of the fallback).
SEARCH_INDEX = env_str("SEARCH_INDEX", "auto")
if SEARCH_INDEX not in ("auto", "gin"):
    raise ImproperlyConfigured("SEARCH_INDEX must be auto or gin.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["common.permissions.IsAdmin"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "common.pagination.StrictPageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["common.filters.StrictFilterBackend"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("LOGIN_THROTTLE_RATE", "5/min"),
        "refresh": env_str("REFRESH_THROTTLE_RATE", "30/min"),
    },
    # Client addresses for throttling: trust X-Forwarded-For only from this many proxies.
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": _("Movie catalog API"),
    "DESCRIPTION": _(
        "Manage a movie catalog. Log in with POST /api/auth/login/, then send the access_token "
        "as `Authorization: Bearer <token>`; in Swagger UI (/api/docs/), the Authorize button "
        "takes it. Add ?lang=es to this page's address for Spanish."
    ),
    "VERSION": "1.0.0",
    # The LICENSE file's: the BSD licence Django and DRF use.
    "LICENSE": {"name": "BSD-3-Clause", "url": "https://opensource.org/license/bsd-3-clause"},
    # Relative: the server that served the schema, whatever its address.
    "SERVERS": [{"url": "/", "description": _("The server this schema came from.")}],
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation is public; a stale token in the browser must not lock anyone out of it.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Includes the one-step login: "Log in" or "Refresh" executed in the page authorizes it.
    "SWAGGER_UI_SETTINGS": SWAGGER_UI_SETTINGS,
    "COMPONENT_SPLIT_REQUEST": True,
    # An operation's tag is its path's first segment after /api/: auth, movies.
    "SCHEMA_PATH_PREFIX": r"/api/",
    # An enum's values are its documentation (codes, states); a list repeating them is noise.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {
        "ErrorCodeEnum": "common.errors.ERROR_CODES",
        "HealthStatusEnum": "common.health.HEALTH_STATES",
        "DependencyStateEnum": "common.health.DEPENDENCY_STATES",
        "PaginationModeEnum": "common.pagination.PAGINATION_MODES",
        "MovieChangeEnum": "movies.serializers.CHANGE_KINDS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.declare_empty_query_values",
        "common.openapi.move_named_schemas_to_components",
        "common.openapi.forbid_unknown_request_fields",
        "common.openapi.declare_responses_and_headers",
        "common.openapi.declare_public_operations",
        "common.openapi.texts_in_the_schemas_language",
    ],
    "TAGS": [
        {"name": "auth", "description": _("Log in, refresh, log out, sessions, and who am I.")},
        {"name": "movies", "description": _("The movie catalog (admins only).")},
        {"name": "health", "description": _("Is the service up and its database answering?")},
    ],
}

# Error reports (debug pages, error mails) never show a secret, debug on or off.
DEFAULT_EXCEPTION_REPORTER_FILTER = "common.reporting.SecretHidingReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "accounts": {"level": "INFO"},
        "movies": {"level": "INFO"},
    },
}
