"""Startup validation of the environment: every process (gunicorn, Celery, manage.py) refuses
to start on a configuration it cannot serve, and says which variable to fix and how.

settings.py calls :func:`environment_validate` before it reads anything else, so a bad master
key or URL is one clear message at start instead of a 500 on the first request that needs it.
docs/configuration.md lists every variable checked here. Values of secrets are never echoed.
"""

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
BOOLEAN = TRUE | {"0", "false", "no", "off", ""}
MASTER_KEY_HINT = (
    "32 random bytes, base64-encoded, e.g. from "
    '`python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"`'
)
DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
REDIS_SCHEMES = {"redis", "rediss", "unix"}
EMAIL_BACKENDS = {"file", "console", "smtp", "locmem"}
SMS_BACKENDS = {"console", "twilio"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "testserver"}
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")

INTEGERS = {
    "RECOGNIZE_MAX_BODY_BYTES": 1,
    "RECOGNIZE_SESSION_SECONDS": 1,
    "RECOGNIZE_CLIENT_RATE_PER_MINUTE": 0,
    "RECOGNIZE_PORTAL_ATTEMPTS_PER_MINUTE": 1,
    "RECOGNIZE_TRUSTED_PROXIES": 0,
    "EMAIL_PORT": 1,
}
NUMBERS = ("RECOGNIZE_OUTBOX_SWEEP_SECONDS", "RECOGNIZE_OUTBOX_SWEEP_GRACE_SECONDS")
NUMBERS += ("RECOGNIZE_PUSH_TIMEOUT_SECONDS",)
BOOLEANS = (
    "RECOGNIZE_REQUIRE_SECRETS",
    "RECOGNIZE_DEBUG",
    "RECOGNIZE_ADMIN_2FA",
    "RECOGNIZE_SECURE_COOKIES",
    "RECOGNIZE_USE_X_FORWARDED_HOST",
    "CELERY_TASK_ALWAYS_EAGER",
)
HTTP_URLS = (
    "RECOGNIZE_PUBLIC_URL",
    "RECOGNIZE_SMS_API_URL",
    "RECOGNIZE_PUSH_FCM_API_URL",
    "RECOGNIZE_PUSH_APNS_URL",
)
FILES = (
    "RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE",
    "RECOGNIZE_PUSH_APNS_KEY_FILE",
    "RECOGNIZE_PUSH_CA_FILE",
)


def _is_true(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in TRUE


def _master_key_error(name: str, value: str) -> str | None:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return f"{name} is not valid base64; it must be {MASTER_KEY_HINT}"
    if len(raw) != 32:
        return f"{name} decodes to {len(raw)} bytes; it must be {MASTER_KEY_HINT}"
    return None


def _http_url_error(name: str, value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return f"{name} must be an http:// or https:// URL with a host, e.g. https://id.example.com"
    return None


def _secrets_errors(environ: Mapping[str, str]) -> list[str]:
    errors = []
    if _is_true(environ, "RECOGNIZE_REQUIRE_SECRETS"):
        for name in ("RECOGNIZE_SECRET_KEY", "RECOGNIZE_MASTER_KEY"):
            if not environ.get(name, "").strip():
                errors.append(f"{name} must be set (RECOGNIZE_REQUIRE_SECRETS is on)")
        secret = environ.get("RECOGNIZE_SECRET_KEY", "").strip()
        if secret and len(secret) < 32:
            errors.append("RECOGNIZE_SECRET_KEY must be at least 32 random characters")
    if environ.get("RECOGNIZE_MASTER_KEY", "").strip():
        errors.append(_master_key_error("RECOGNIZE_MASTER_KEY", environ["RECOGNIZE_MASTER_KEY"]))
    previous = environ.get("RECOGNIZE_PREVIOUS_MASTER_KEYS", "")
    for position, value in enumerate(v for v in previous.split(",") if v.strip()):
        name = f"RECOGNIZE_PREVIOUS_MASTER_KEYS (entry {position + 1})"
        errors.append(_master_key_error(name, value))
    return errors


def _service_url_errors(environ: Mapping[str, str]) -> list[str]:
    errors = []
    database = environ.get("DATABASE_URL", "")
    if database and urlsplit(database).scheme not in DATABASE_SCHEMES:
        errors.append(
            "DATABASE_URL must start with postgres:// (or sqlite:///), "
            "e.g. postgres://recognize:PASSWORD@db:5432/recognize"
        )
    elif database.startswith(("postgres", "pgsql")) and not urlsplit(database).path.strip("/"):
        errors.append("DATABASE_URL names no database, e.g. postgres://user@db:5432/recognize")
    redis = environ.get("REDIS_URL", "")
    if redis and urlsplit(redis).scheme not in REDIS_SCHEMES:
        errors.append("REDIS_URL must start with redis://, rediss:// or unix://")
    for name in HTTP_URLS:
        if environ.get(name):
            errors.append(_http_url_error(name, environ[name]))
    for origin in (o.strip() for o in environ.get("RECOGNIZE_CSRF_TRUSTED_ORIGINS", "").split(",")):
        parts = urlsplit(origin)
        if origin and (parts.scheme not in {"http", "https"} or not parts.netloc or parts.path):
            errors.append(
                f"RECOGNIZE_CSRF_TRUSTED_ORIGINS entry {origin!r} must be an origin "
                "(scheme and host, no path), e.g. https://id.example.com"
            )
    return errors


def _value_errors(environ: Mapping[str, str]) -> list[str]:
    errors = []
    for name, smallest in INTEGERS.items():
        value = environ.get(name)
        if value is not None and not (value.strip().isdigit() and int(value) >= smallest):
            errors.append(f"{name} must be a whole number of at least {smallest}, not {value!r}")
    for name in NUMBERS:
        value = environ.get(name)
        try:
            if value is not None and float(value) <= 0:
                raise ValueError
        except ValueError:
            errors.append(f"{name} must be a number of seconds above 0, not {value!r}")
    for name in BOOLEANS:
        value = environ.get(name)
        if value is not None and value.strip().lower() not in BOOLEAN:
            errors.append(f"{name} must be 1/0 (or true/false, yes/no, on/off), not {value!r}")
    email = environ.get("RECOGNIZE_EMAIL_BACKEND", "file")
    if email not in EMAIL_BACKENDS:
        errors.append(f"RECOGNIZE_EMAIL_BACKEND must be one of {sorted(EMAIL_BACKENDS)}")
    sms = environ.get("RECOGNIZE_SMS_BACKEND", "console")
    if sms not in SMS_BACKENDS:
        errors.append(f"RECOGNIZE_SMS_BACKEND must be one of {sorted(SMS_BACKENDS)}")
    elif sms == "twilio":
        for name in ("RECOGNIZE_SMS_ACCOUNT_SID", "RECOGNIZE_SMS_AUTH_TOKEN", "RECOGNIZE_SMS_FROM"):
            if not environ.get(name):
                errors.append(f"{name} must be set when RECOGNIZE_SMS_BACKEND is twilio")
    for name in FILES:
        if environ.get(name) and not Path(environ[name]).is_file():
            errors.append(f"{name} names {environ[name]!r}, which is not a readable file")
    region = environ.get("RECOGNIZE_DEFAULT_PHONE_REGION")
    if region and not re.fullmatch(r"[A-Za-z]{2}", region.strip()):
        errors.append("RECOGNIZE_DEFAULT_PHONE_REGION must be a two-letter region, e.g. US or GB")
    header = environ.get("RECOGNIZE_PROXY_SSL_HEADER", "")
    if header and not HEADER_NAME.match(header):
        errors.append("RECOGNIZE_PROXY_SSL_HEADER must be a header name, e.g. X-Forwarded-Proto")
    return errors


def _production_errors(environ: Mapping[str, str]) -> list[str]:
    """What only a production server (RECOGNIZE_REQUIRE_SECRETS on) must get right."""
    if not _is_true(environ, "RECOGNIZE_REQUIRE_SECRETS"):
        return []
    errors = []
    public = urlsplit(environ.get("RECOGNIZE_PUBLIC_URL", "http://127.0.0.1:8000"))
    secure_cookies = environ.get("RECOGNIZE_SECURE_COOKIES", "1").strip().lower() in TRUE
    if secure_cookies and public.scheme == "http" and public.hostname not in LOCAL_HOSTS:
        errors.append(
            "RECOGNIZE_PUBLIC_URL must be https:// in production: browsers drop the portal's "
            "and admin's Secure cookies on plain http (serve it behind TLS, see "
            "docs/configuration.md, Reverse proxy)"
        )
    if _is_true(environ, "RECOGNIZE_DEBUG"):
        errors.append("RECOGNIZE_DEBUG must be off in production (it shows settings on errors)")
    return errors


def environment_errors(environ: Mapping[str, str]) -> list[str]:
    """Every problem with the variables in ``environ``, one sentence each (empty when fine)."""
    found = _secrets_errors(environ) + _service_url_errors(environ) + _value_errors(environ)
    return [error for error in found + _production_errors(environ) if error]


def environment_validate(environ: Mapping[str, str]) -> None:
    """Raise ImproperlyConfigured listing every problem in ``environ``, if there is any."""
    errors = environment_errors(environ)
    if errors:
        listed = "\n".join(f"  - {error}" for error in errors)
        raise ImproperlyConfigured(
            f"Recognize cannot start; fix these environment variables "
            f"(docs/configuration.md):\n{listed}"
        )
