"""Startup validation of the environment, and the proxy settings read from it."""

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recognize_project.environment import environment_errors

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEY = base64.b64encode(bytes(range(32))).decode()
PRODUCTION = {
    "RECOGNIZE_REQUIRE_SECRETS": "1",
    "RECOGNIZE_SECRET_KEY": "s" * 50,
    "RECOGNIZE_MASTER_KEY": GOOD_KEY,
    "RECOGNIZE_PUBLIC_URL": "https://id.example.com",
    "DATABASE_URL": "postgres://recognize:pw@db:5432/recognize",
    "REDIS_URL": "redis://redis:6379/0",
}


def test_a_complete_production_environment_passes():
    assert environment_errors(PRODUCTION) == []
    assert environment_errors({}) == []  # the embedded default needs nothing


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"RECOGNIZE_MASTER_KEY": ""}, "RECOGNIZE_MASTER_KEY must be set"),
        ({"RECOGNIZE_SECRET_KEY": "short"}, "RECOGNIZE_SECRET_KEY must be at least 32"),
        ({"RECOGNIZE_MASTER_KEY": "not base64!"}, "RECOGNIZE_MASTER_KEY is not valid base64"),
        ({"RECOGNIZE_MASTER_KEY": GOOD_KEY[:24]}, "RECOGNIZE_MASTER_KEY decodes to 18 bytes"),
        ({"RECOGNIZE_PREVIOUS_MASTER_KEYS": f"{GOOD_KEY},AAAA"}, "(entry 2) decodes to 3 bytes"),
        ({"DATABASE_URL": "mysql://db/recognize"}, "DATABASE_URL must start with postgres://"),
        ({"DATABASE_URL": "postgres://db:5432"}, "DATABASE_URL names no database"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with redis://"),
        ({"RECOGNIZE_PUBLIC_URL": "id.example.com"}, "RECOGNIZE_PUBLIC_URL must be an http://"),
        ({"RECOGNIZE_PUBLIC_URL": "http://id.example.com"}, "must be https:// in production"),
        ({"RECOGNIZE_PUSH_APNS_URL": "api.push.apple.com"}, "RECOGNIZE_PUSH_APNS_URL must be"),
        (
            {"RECOGNIZE_CSRF_TRUSTED_ORIGINS": "https://id.example.com/portal"},
            "must be an origin",
        ),
        ({"RECOGNIZE_MAX_BODY_BYTES": "64k"}, "RECOGNIZE_MAX_BODY_BYTES must be a whole number"),
        ({"RECOGNIZE_TRUSTED_PROXIES": "-1"}, "RECOGNIZE_TRUSTED_PROXIES must be a whole number"),
        ({"RECOGNIZE_PUSH_TIMEOUT_SECONDS": "0"}, "RECOGNIZE_PUSH_TIMEOUT_SECONDS must be"),
        ({"RECOGNIZE_SECURE_COOKIES": "maybe"}, "RECOGNIZE_SECURE_COOKIES must be 1/0"),
        ({"RECOGNIZE_EMAIL_BACKEND": "sendgrid"}, "RECOGNIZE_EMAIL_BACKEND must be one of"),
        (
            {
                "RECOGNIZE_SMS_BACKEND": "twilio",
                "RECOGNIZE_SMS_AUTH_TOKEN": "t",
                "RECOGNIZE_SMS_FROM": "+1",
            },
            "RECOGNIZE_SMS_ACCOUNT_SID must be set",
        ),
        ({"RECOGNIZE_PUSH_CA_FILE": "/nonexistent/ca.pem"}, "not a readable file"),
        ({"RECOGNIZE_PROXY_SSL_HEADER": "X_Forwarded Proto"}, "must be a header name"),
        ({"RECOGNIZE_DEFAULT_PHONE_REGION": "USA"}, "must be a two-letter region"),
        ({"RECOGNIZE_DEBUG": "1"}, "RECOGNIZE_DEBUG must be off in production"),
    ],
)
def test_a_bad_variable_is_named_with_what_to_do(change, says):
    errors = environment_errors({**PRODUCTION, **change})
    assert len(errors) == 1 and says in errors[0], errors


def test_a_secret_value_is_never_echoed():
    wrong = base64.b64encode(b"x" * 31).decode()
    assert wrong not in " ".join(environment_errors({**PRODUCTION, "RECOGNIZE_MASTER_KEY": wrong}))


def _start(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    """Start Django's settings in a fresh process with exactly ``env`` on top of the basics."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RECOGNIZE_", "DATABASE"))}
    script = "import django, json; django.setup(); from django.conf import settings; " + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "recognize_project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_process_with_a_wrong_master_key_does_not_start():
    started = _start({**PRODUCTION, "RECOGNIZE_MASTER_KEY": GOOD_KEY[:-8]})
    assert started.returncode != 0
    assert "Recognize cannot start" in started.stderr
    assert "RECOGNIZE_MASTER_KEY decodes to" in started.stderr


def test_behind_a_tls_proxy_the_public_origin_is_trusted_and_https_recognised():
    env = {**PRODUCTION, "REDIS_URL": "", "RECOGNIZE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    shown = "print(json.dumps([settings.CSRF_TRUSTED_ORIGINS, settings.SECURE_PROXY_SSL_HEADER]))"
    started = _start(env, shown)
    assert started.returncode == 0, started.stderr
    origins, header = json.loads(started.stdout)
    assert origins == ["https://id.example.com"]
    assert header == ["HTTP_X_FORWARDED_PROTO", "https"]

    more = {**env, "RECOGNIZE_CSRF_TRUSTED_ORIGINS": "https://a.example,https://b.example:8443"}
    started = _start(more, "print(json.dumps(settings.CSRF_TRUSTED_ORIGINS))")
    assert json.loads(started.stdout) == ["https://a.example", "https://b.example:8443"]


def _variables_read_by(paths) -> set[str]:
    """Names the code reads from the environment (os.environ, env_bool, env_list, *_ENV)."""
    reads = re.compile(
        r"""(?:environ(?:\.get)?[(\[]|env_bool\(|env_list\(|_ENV = )\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    found = set()
    for path in paths:
        found |= set(reads.findall(path.read_text()))
    return found


def test_every_variable_the_code_reads_is_documented():
    packages = ("recognize_project", "accounts", "events", "devices", "actions", "biometrics")
    server = [ROOT / "manage.py"]
    for package in (*packages, "portal", "recognize_sdk"):
        server += (ROOT / package).rglob("*.py")
    documented = (ROOT / "docs" / "configuration.md").read_text()
    read = _variables_read_by(server) - {"DJANGO_SETTINGS_MODULE"}
    assert {"RECOGNIZE_MASTER_KEY", "DATABASE_URL", "RECOGNIZE_ORT_THREADS"} <= read
    assert sorted(name for name in read if f"`{name}`" not in documented) == []
