"""Process-wide settings. The environment is read here and nowhere else.

Per-connection values (PIM URL, credentials, timeouts, rate caps) are model fields
edited in the admin, not settings.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    TIME_ZONE=(str, "UTC"),
    AKENEO_DEFAULT_TIMEOUT=(float, 30.0),
    AKENEO_MAX_RETRIES=(int, 6),
    AKENEO_RETRY_BUDGET_SECONDS=(float, 120.0),
    FIELD_ENCRYPTION_KEY=(str, ""),
    API_RATE=(str, "10/second"),
    API_USER_RATE=(str, "20/second"),
    API_TOKEN_RATE=(str, "10/minute"),
    API_MAX_REQUEST_BYTES=(int, 20 * 1024 * 1024),
    RUN_STUCK_SECONDS=(float, 900.0),
    RUN_HEARTBEAT_SECONDS=(float, 60.0),
    NESTED_RUN_WAIT_SECONDS=(float, 1800.0),
    NESTED_RUN_POLL_SECONDS=(float, 2.0),
    RUN_QUEUED_MAX_SECONDS=(float, 3600.0),
    RUN_ALERT_EMAILS=(str, ""),
    SITE_URL=(str, "http://127.0.0.1:8000"),
    AKENEO_EVENT_PLATFORM_URL=(str, "https://event.prd.sdk.akeneo.cloud/api/v1"),
    AKENEO_EVENT_MAX_BYTES=(int, 65536),
    AKENEO_EVENT_SETTLE_SECONDS=(float, 2.0),
    AKENEO_EVENTS_KEPT_DAYS=(int, 7),
    DEFAULT_FROM_EMAIL=(str, "connector@localhost"),
    SFCC_MAX_RETRIES=(int, 4),
    SFCC_BACKOFF_SECONDS=(float, 1.0),
    SFCC_POLL_SECONDS=(float, 5.0),
    SFCC_IMPORT_TIMEOUT_SECONDS=(float, 3600.0),
    SFCC_XSD_DIR=(str, str(BASE_DIR.parent / "shared" / "sfcc-xsd")),
    SFCC_SCAPI_URL=(str, "https://{short_code}.api.commercecloud.salesforce.com"),
    SFCC_ARCHIVES_KEPT=(int, 10),
    SFCC_JOB_LOG_MAX_BYTES=(int, 20_000_000),
    Q_WORKERS=(int, 2),
    Q_TIMEOUT=(int, 3600),
    Q_SYNC=(bool, False),
    LOG_LEVEL=(str, "INFO"),
    EXPORT_ROOT=(str, str(BASE_DIR / "var" / "exports")),
    UPLOAD_ROOT=(str, str(BASE_DIR / "var" / "uploads")),
    MEDIA_CACHE_ROOT=(str, str(BASE_DIR / "var" / "media-cache")),
    CALL_SLOTS_DIR=(str, str(BASE_DIR / "var" / "call-slots")),
    SDM_MEDIA_ALLOWED_NETWORKS=(list, []),
    SDM_FILE_MAX_BYTES=(int, 100 * 1024 * 1024),
    SDM_FILE_MAX_ROWS=(int, 500_000),
    SDM_FILE_MAX_COLUMNS=(int, 2000),
    SDM_FILE_MAX_CELL_CHARS=(int, 32_767),
    SDM_XLSX_MAX_UNPACKED_BYTES=(int, 1024 * 1024 * 1024),
    SDM_XLSX_MAX_SHARED_STRINGS_BYTES=(int, 64 * 1024 * 1024),
    SDM_XLSX_MAX_RATIO=(int, 100),
    SDM_MEDIA_DOWNLOAD_SECONDS=(float, 60.0),
    SDM_MEDIA_MAX_BYTES=(int, 50 * 1024 * 1024),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
# A secret key is mandatory outside DEBUG: a silent default would sign sessions with a public value.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.ConnectorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # ReDoc's files among our static files: /api/docs/ works offline
    "connector",
    "sdm",
    "sfcc_export",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "connector.middleware.RejectNulCharacters",
    "sdm.api.auth.RequestSizeLimit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "connector.middleware.UserTimeZone",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers and the web process share one file. WAL lets reads go on beside a write; a busy
    # timeout makes a writer wait for the lock; IMMEDIATE takes the write lock when a transaction
    # begins, because a transaction that read first and upgrades later fails at once, without waiting.
    _sqlite = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite.setdefault("timeout", 30)
    _sqlite.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
# Static files are served by the application itself (WhiteNoise) from STATIC_ROOT, filled by
# `collectstatic`; in DEBUG they are found in the apps, as runserver does.
WHITENOISE_USE_FINDERS = DEBUG
if not STATIC_ROOT.is_dir():
    # Before the first collectstatic (development, the tests) there is nothing to serve from it yet.
    warnings.filterwarnings("ignore", message="No directory at: ")

# REDIS_URL switches the django-q broker and the cache (the API throttles count in it) to Redis;
# without it the broker is the database and the cache is per process (fine for one web process).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

LOGIN_URL = "admin:login"

# Akeneo client defaults; each connection may override timeout and rate cap.
AKENEO_DEFAULT_TIMEOUT = env("AKENEO_DEFAULT_TIMEOUT")
AKENEO_MAX_RETRIES = env("AKENEO_MAX_RETRIES")
AKENEO_RETRY_BUDGET_SECONDS = env("AKENEO_RETRY_BUDGET_SECONDS")
# Secrets at rest (connector.secrets): a Fernet key; empty = derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY")
# A run in progress whose heartbeat is older than this is stuck (its worker died); see connector.alerts.
RUN_STUCK_SECONDS = env("RUN_STUCK_SECONDS")
# A running handler's process beats this often, even inside one long call (an SFCC import, a slow
# PIM answer); keep it well below RUN_STUCK_SECONDS.
RUN_HEARTBEAT_SECONDS = env("RUN_HEARTBEAT_SECONDS")
# A run that needs another (a workflow sync, its connection's structure sync) and finds it already
# running waits for it this long at most, looking every NESTED_RUN_POLL_SECONDS, then uses its outcome.
NESTED_RUN_WAIT_SECONDS = env("NESTED_RUN_WAIT_SECONDS")
NESTED_RUN_POLL_SECONDS = env("NESTED_RUN_POLL_SECONDS")
RUN_QUEUED_MAX_SECONDS = env("RUN_QUEUED_MAX_SECONDS")
RUN_ALERT_EMAILS = env("RUN_ALERT_EMAILS")  # mailed on every failed run, besides the target's contacts
SITE_URL = env("SITE_URL")  # for links in alert mails and the address the Event Platform posts to
# Akeneo's Event Platform management API; events arrive at SITE_URL/events/akeneo/<token>/.
AKENEO_EVENT_PLATFORM_URL = env("AKENEO_EVENT_PLATFORM_URL")
AKENEO_EVENT_MAX_BYTES = env("AKENEO_EVENT_MAX_BYTES")  # an event is a few hundred bytes
# A near-real-time export takes the events received at least this long ago, so that a receiver's
# insert still being committed is never passed over.
AKENEO_EVENT_SETTLE_SECONDS = env("AKENEO_EVENT_SETTLE_SECONDS")
AKENEO_EVENTS_KEPT_DAYS = env("AKENEO_EVENTS_KEPT_DAYS")  # used events are removed after this
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
SFCC_MAX_RETRIES = env("SFCC_MAX_RETRIES")
SFCC_BACKOFF_SECONDS = env("SFCC_BACKOFF_SECONDS")  # first wait before a retry; doubles each time
SFCC_POLL_SECONDS = env("SFCC_POLL_SECONDS")
SFCC_IMPORT_TIMEOUT_SECONDS = env("SFCC_IMPORT_TIMEOUT_SECONDS")
# SFCC's import schemas (XSD), against which sfcc_export.xml_check and the tests validate our XML:
# they are Salesforce's files, not shipped with this project; by default beside it, in ../shared.
SFCC_XSD_DIR = Path(env("SFCC_XSD_DIR"))
# SCAPI's host is per short code; tests point this at the fake SFCC ("{short_code}" is filled in).
SFCC_SCAPI_URL = env("SFCC_SCAPI_URL")
# Site archives kept per export profile (files and history rows); older ones are removed.
SFCC_ARCHIVES_KEPT = env("SFCC_ARCHIVES_KEPT")
# An import's job log is read up to this size: enough for its first errors, bounded for hostile ones.
SFCC_JOB_LOG_MAX_BYTES = env("SFCC_JOB_LOG_MAX_BYTES")
EXPORT_ROOT = Path(env("EXPORT_ROOT"))
UPLOAD_ROOT = Path(env("UPLOAD_ROOT"))
# Lock files of the per-connection call budget when the database is not PostgreSQL (connector.call_budget).
CALL_SLOTS_DIR = Path(env("CALL_SLOTS_DIR"))
MEDIA_CACHE_ROOT = Path(env("MEDIA_CACHE_ROOT"))  # PIM media downloaded for SFCC, kept by content hash
# Media URLs in supplier files (sdm.url_fetch): internal addresses are refused unless listed here
# (CIDRs, e.g. an internal DAM), each download has a total deadline and a size cap.
SDM_MEDIA_ALLOWED_NETWORKS = env("SDM_MEDIA_ALLOWED_NETWORKS")
# Supplier files (sdm.supplier_files): checked while streaming, before anything is stored. An XLSX
# is bounded by what it unpacks to; its text table (shared strings) is what openpyxl holds in memory.
SDM_FILE_MAX_BYTES = env("SDM_FILE_MAX_BYTES")
SDM_FILE_MAX_ROWS = env("SDM_FILE_MAX_ROWS")
SDM_FILE_MAX_COLUMNS = env("SDM_FILE_MAX_COLUMNS")
SDM_FILE_MAX_CELL_CHARS = env("SDM_FILE_MAX_CELL_CHARS")  # Excel's own cell limit
SDM_XLSX_MAX_UNPACKED_BYTES = env("SDM_XLSX_MAX_UNPACKED_BYTES")
SDM_XLSX_MAX_SHARED_STRINGS_BYTES = env("SDM_XLSX_MAX_SHARED_STRINGS_BYTES")
SDM_XLSX_MAX_RATIO = env("SDM_XLSX_MAX_RATIO")
SDM_MEDIA_DOWNLOAD_SECONDS = env("SDM_MEDIA_DOWNLOAD_SECONDS")
SDM_MEDIA_MAX_BYTES = env("SDM_MEDIA_MAX_BYTES")

# django-q2 on the ORM broker. `retry` must exceed `timeout` or the broker hands a still-running
# task to a second worker; the run row, not the broker, owns retries and resume, so one attempt.
Q_CLUSTER = {
    "name": "connector",
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
    "workers": env("Q_WORKERS"),
    "timeout": env("Q_TIMEOUT"),
    "retry": env("Q_TIMEOUT") + 600,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "sync": env("Q_SYNC"),
    "label": "Background tasks",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"scrub_secrets": {"()": "connector.scrub.ScrubSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub_secrets"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
    "loggers": {"urllib3": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if env.bool("BEHIND_TLS_PROXY", default=False):  # the proxy terminates TLS and says so in a header
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The supplier API (sdm/api): per-token rate, request size limit (413 beyond), OpenAPI schema.
API_RATE = env("API_RATE")
API_USER_RATE = env("API_USER_RATE")  # over all of a user's tokens
API_TOKEN_RATE = env("API_TOKEN_RATE")  # token requests per client address
API_MAX_REQUEST_BYTES = env("API_MAX_REQUEST_BYTES")
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_REQUEST_BYTES  # JSON feeds up to the same size as files
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sdm.api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["sdm.api.permissions.HasPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["sdm.api.auth.PerTokenRateThrottle", "sdm.api.auth.PerUserRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["sdm.api.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,  # `?format=` belongs to the download endpoints
    "EXCEPTION_HANDLER": "sdm.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Akeneo connector supplier API",
    "DESCRIPTION": "Supplier feeds for the SDM projects: files, jobs, value mapping, finalize, results.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page loads nothing from another host (sdm/templates/sdm/api_docs.html drops ReDoc's
    # web fonts): it works without internet and sends no visitor to a CDN.
    "REDOC_DIST": "SIDECAR",
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000  # the attribute tab posts one field per attribute (2,000+)
