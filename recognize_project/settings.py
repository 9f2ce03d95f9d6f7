"""Settings, read from the environment only.

Embedded default (no variables set): SQLite in WAL mode, Celery eager, file e-mail backend,
local-memory cache. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to Redis for the
cache, rate limits and the Celery broker.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from recognize_project import local_secrets
from recognize_project.environment import environment_validate

# Refuse to start on a bad master key, URL or number, naming each variable to fix.
environment_validate(os.environ)

BASE_DIR = Path(__file__).resolve().parent.parent
# A source checkout (manage.py beside the apps) keeps templates/, static/ and var/ at its root;
# an installed wheel carries templates/ and static/ inside this package (pyproject.toml) and
# keeps its data in ./var unless RECOGNIZE_VAR_DIR says where.
SOURCE_CHECKOUT = (BASE_DIR / "manage.py").is_file()
RESOURCE_DIR = BASE_DIR if SOURCE_CHECKOUT else Path(__file__).resolve().parent
VAR_DIR = Path(
    os.environ.get("RECOGNIZE_VAR_DIR", BASE_DIR / "var" if SOURCE_CHECKOUT else Path.cwd() / "var")
)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


if env_bool("RECOGNIZE_REQUIRE_SECRETS", False):
    try:
        SECRET_KEY = os.environ["RECOGNIZE_SECRET_KEY"]
        RECOGNIZE_MASTER_KEY = os.environ["RECOGNIZE_MASTER_KEY"]
    except KeyError as missing:
        raise ImproperlyConfigured(f"{missing} must be set") from None
else:
    _local = local_secrets.load_or_create(VAR_DIR / "secrets.json")
    SECRET_KEY = os.environ.get("RECOGNIZE_SECRET_KEY", _local["secret_key"])
    RECOGNIZE_MASTER_KEY = os.environ.get("RECOGNIZE_MASTER_KEY", _local["master_key"])

RECOGNIZE_PREVIOUS_MASTER_KEYS = env_list("RECOGNIZE_PREVIOUS_MASTER_KEYS", "")

DEBUG = env_bool("RECOGNIZE_DEBUG", False)
# Staff sign in to the admin with a code from their authenticator app as well (django-otp
# TOTP; `manage.py admin_totp_add USER`). On by default in production (secrets from the
# environment), off in the embedded default.
RECOGNIZE_ADMIN_2FA = env_bool("RECOGNIZE_ADMIN_2FA", env_bool("RECOGNIZE_REQUIRE_SECRETS", False))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ALLOWED_HOSTS = env_list("RECOGNIZE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
RECOGNIZE_PUBLIC_URL = os.environ.get("RECOGNIZE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "recognize_project.apps.RecognizeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "corsheaders",
    "drf_spectacular_sidecar",  # Swagger UI's files for /v1/docs/, served from here, not a CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "events",
    "devices",
    "actions",
    "biometrics",
    "portal",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",  # first, so even a 413 is readable by the page
    "recognize_project.middleware.ApiErrorFormatMiddleware",
    "recognize_project.middleware.BodySizeLimitMiddleware",
    "recognize_project.middleware.NulInputMiddleware",
    "recognize_project.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "events.audit.RequestContextMiddleware",
    "recognize_project.notifications.AfterResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "recognize_project.urls"
WSGI_APPLICATION = "recognize_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [RESOURCE_DIR / "templates"],
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

# --- Database -------------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    # Persistent connections without a health check (a `SELECT 1` round trip per request):
    # a connection that fails a query is still tested and discarded at the end of that
    # request (Django does so whenever a database error occurred), so one that broke while
    # idle, e.g. across a database restart, costs that one request an error, then is replaced.
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=600, conn_health_checks=False
        )
    }
    # Server-side parameter binding lets psycopg prepare a statement on its fifth use on a
    # connection, so PostgreSQL stops parsing and planning the few statements every request
    # sends (half of its CPU per in-app flow). Needs a direct connection or a session pooler,
    # not a transaction pooler; options in DATABASE_URL's query string take precedence.
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options.setdefault("server_side_binding", True)
    _db_options.setdefault("prepare_threshold", 5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("RECOGNIZE_SQLITE_PATH", str(VAR_DIR / "recognize.sqlite3")),
            "OPTIONS": {
                # WAL + synchronous=NORMAL: commits stop waiting for the disk (≈2.3× here).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, rate limits, Celery -----------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "recognize",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("RECOGNIZE_CELERY_QUEUE", "recognize")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "purge-expired": {"task": "actions.tasks.expired_purge", "schedule": 3600.0},
    "webhook-outbox": {
        "task": "events.tasks.webhook_outbox_sweep",
        "schedule": float(os.environ.get("RECOGNIZE_OUTBOX_SWEEP_SECONDS", 30)),
    },
    "push-outbox": {
        "task": "actions.tasks.push_outbox_sweep",
        "schedule": float(os.environ.get("RECOGNIZE_OUTBOX_SWEEP_SECONDS", 30)),
    },
}
ACTIONS_OUTBOX_SWEEP_GRACE_SECONDS = float(
    os.environ.get("RECOGNIZE_OUTBOX_SWEEP_GRACE_SECONDS", 15)
)

# --- E-mail ---------------------------------------------------------------------------------
_email = os.environ.get("RECOGNIZE_EMAIL_BACKEND", "file")
EMAIL_BACKEND = {
    # Dev backends keep codes out of the console: private files (0600) under var/mail/.
    "console": "recognize_project.dev_backends.NoticeEmailBackend",
    "file": "recognize_project.dev_backends.PrivateFileEmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}[_email]
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("RECOGNIZE_FROM_EMAIL", "Recognize <no-reply@localhost>")

# Portal sign-in requests and answers one client address may make a minute, per tenant
# (portal/sign_in_codes.py): guesses are throttled at their source before any account locks.
RECOGNIZE_PORTAL_ATTEMPTS_PER_MINUTE = int(
    os.environ.get("RECOGNIZE_PORTAL_ATTEMPTS_PER_MINUTE", 10)
)

# Region of phone numbers typed without a country code, unless the tenant sets its own
# (accounts/phones.py).
RECOGNIZE_DEFAULT_PHONE_REGION = os.environ.get("RECOGNIZE_DEFAULT_PHONE_REGION", "US")

# --- SMS (devices/factors/sms.py) --------------------------------------------------------
RECOGNIZE_SMS_BACKEND = os.environ.get("RECOGNIZE_SMS_BACKEND", "console")
RECOGNIZE_SMS_API_URL = os.environ.get("RECOGNIZE_SMS_API_URL", "https://api.twilio.com")
RECOGNIZE_SMS_ACCOUNT_SID = os.environ.get("RECOGNIZE_SMS_ACCOUNT_SID", "")
RECOGNIZE_SMS_AUTH_TOKEN = os.environ.get("RECOGNIZE_SMS_AUTH_TOKEN", "")
RECOGNIZE_SMS_FROM = os.environ.get("RECOGNIZE_SMS_FROM", "")

# --- Push delivery (devices/push/) ------------------------------------------------------------
# A channel whose settings are empty is "not configured": sending on it raises PushNotConfigured.
# Web Push: the VAPID key is derived from the master key; only the contact subject is needed.
RECOGNIZE_PUSH_VAPID_SUBJECT = os.environ.get("RECOGNIZE_PUSH_VAPID_SUBJECT", "")
# Hosts a browser's push endpoint may point at ("host" exact, ".example.com" for subdomains):
# the endpoint comes from the client, so this keeps the server from POSTing anywhere else.
RECOGNIZE_PUSH_WEBPUSH_HOSTS = env_list(
    "RECOGNIZE_PUSH_WEBPUSH_HOSTS",
    "fcm.googleapis.com,.push.services.mozilla.com,.notify.windows.com,.push.apple.com",
)
RECOGNIZE_PUSH_FCM_API_URL = os.environ.get(
    "RECOGNIZE_PUSH_FCM_API_URL", "https://fcm.googleapis.com"
)
RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE = os.environ.get(
    "RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE", ""
)
RECOGNIZE_PUSH_APNS_URL = os.environ.get("RECOGNIZE_PUSH_APNS_URL", "https://api.push.apple.com")
RECOGNIZE_PUSH_APNS_KEY_FILE = os.environ.get("RECOGNIZE_PUSH_APNS_KEY_FILE", "")  # AuthKey_*.p8
RECOGNIZE_PUSH_APNS_KEY_ID = os.environ.get("RECOGNIZE_PUSH_APNS_KEY_ID", "")
RECOGNIZE_PUSH_APNS_TEAM_ID = os.environ.get("RECOGNIZE_PUSH_APNS_TEAM_ID", "")
RECOGNIZE_PUSH_APNS_TOPIC = os.environ.get("RECOGNIZE_PUSH_APNS_TOPIC", "")  # the app's bundle id
# Extra CA bundle (PEM) trusted for push gateways instead of the system's; for local stand-ins.
RECOGNIZE_PUSH_CA_FILE = os.environ.get("RECOGNIZE_PUSH_CA_FILE", "")
RECOGNIZE_PUSH_TIMEOUT_SECONDS = float(os.environ.get("RECOGNIZE_PUSH_TIMEOUT_SECONDS", 10))

# --- HTTP -----------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("RECOGNIZE_MAX_BODY_BYTES", 64 * 1024))
RECOGNIZE_CLIENT_RATE_PER_MINUTE = int(os.environ.get("RECOGNIZE_CLIENT_RATE_PER_MINUTE", 1200))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("RECOGNIZE_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("RECOGNIZE_SESSION_SECONDS", 8 * 3600))
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# --- Reverse proxy and TLS (docs/configuration.md) -----------------------------------------
# Behind a TLS-terminating proxy Django sees plain http: with RECOGNIZE_PROXY_SSL_HEADER (e.g.
# X-Forwarded-Proto, which the proxy must set and overwrite) requests count as https again.
# CSRF accepts form posts whose Origin is the public URL's (and any other trusted origin), so
# portal and admin forms work even when the proxy does not pass the original Host on.
_proxy_ssl_header = os.environ.get("RECOGNIZE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
USE_X_FORWARDED_HOST = env_bool("RECOGNIZE_USE_X_FORWARDED_HOST", False)
_public = urlsplit(RECOGNIZE_PUBLIC_URL)
CSRF_TRUSTED_ORIGINS = env_list(
    "RECOGNIZE_CSRF_TRUSTED_ORIGINS", f"{_public.scheme}://{_public.netloc}"
)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["recognize_project.parsers.StrictJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "recognize_project.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "recognize_project.schema.RecognizeAutoSchema",
    # Client addresses come from REMOTE_ADDR unless this many proxies are trusted in front.
    "NUM_PROXIES": int(os.environ.get("RECOGNIZE_TRUSTED_PROXIES", 0)),
}
# The API bases' authentication (recognize_project/api.py): the tenant backend's secret key, and
# the app's action token or public tenant id.
RECOGNIZE_SERVER_API_AUTHENTICATION = ["accounts.authentication.SecretKeyAuthentication"]
# CORS on the client API only, for each tenant's allowed origins (accounts/origins.py decides
# through corsheaders' check_request_enabled signal); no cookies cross origins.
CORS_URLS_REGEX = r"^/v1/client/"
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_CREDENTIALS = False
RECOGNIZE_CLIENT_API_AUTHENTICATION = [
    "actions.authentication.ActionTokenAuthentication",
    "accounts.authentication.TenantIdAuthentication",
]
SPECTACULAR_SETTINGS = {
    "TITLE": "Recognize API",
    "DESCRIPTION": "Face biometrics and device-bound authentication, Authsignal-compatible.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Static files, i18n ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("RECOGNIZE_STATIC_ROOT", VAR_DIR / "static"))
#: The web client (clients/web, plain ES modules, no bundler) is served at /static/recognize-web/.
STATICFILES_DIRS = [
    RESOURCE_DIR / "static",
    ("recognize-web", RESOURCE_DIR / "clients" / "web" / "src"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "recognize_project.redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("RECOGNIZE_LOG_LEVEL", "WARNING")},
}
