"""Operator management commands."""

import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import SecretKey, Tenant
from actions.models import ActionConfig
from tests.support import authsignal_client


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_create_tenant_prints_one_json_line_with_working_key(db):
    line = _run("create_tenant", "Acme Bank")
    assert "\n" not in line
    created = json.loads(line)
    assert Tenant.objects.get(pk=created["tenantId"]).name == "Acme Bank"
    assert authsignal_client(created["secretKey"]).get_user("x")["is_enrolled"] is False


def test_set_action_outcome(db):
    tenant_id = json.loads(_run("create_tenant", "Acme"))["tenantId"]
    _run("set_action_outcome", "--tenant", tenant_id, "withdraw", "BLOCK")
    _run("set_action_outcome", "--tenant", tenant_id, "withdraw", "REVIEW_REQUIRED")
    assert ActionConfig.objects.get(action_code="withdraw").default_outcome == "REVIEW_REQUIRED"


@pytest.mark.parametrize(
    "args",
    [
        ("--tenant", "00000000-0000-0000-0000-000000000000", "signIn", "ALLOW"),
        ("--tenant", "not-a-uuid", "signIn", "ALLOW"),
        ("--tenant", "{tenant}", "bad code!", "ALLOW"),
    ],
)
def test_set_action_outcome_refuses_bad_input(db, args):
    tenant_id = json.loads(_run("create_tenant", "Acme"))["tenantId"]
    with pytest.raises(CommandError):
        _run("set_action_outcome", *[a.format(tenant=tenant_id) for a in args])
    assert not ActionConfig.objects.exists()


def test_rotate_and_revoke_secret_keys(db):
    created = json.loads(_run("create_tenant", "Acme"))
    rotated = json.loads(_run("rotate_secret_key", "--tenant", created["tenantId"]))
    assert rotated["secretKey"] != created["secretKey"]
    assert SecretKey.objects.filter(revoked_at__isnull=True).count() == 1
    extra = json.loads(_run("rotate_secret_key", "--tenant", created["tenantId"], "--keep-old"))
    assert SecretKey.objects.filter(revoked_at__isnull=True).count() == 2
    _run("revoke_secret_key", "--tenant", created["tenantId"], rotated["prefix"])
    assert authsignal_client(extra["secretKey"]).get_user("x")
    with pytest.raises(Exception):  # noqa: B017 (the SDK's ApiException)
        authsignal_client(rotated["secretKey"]).get_user("x")


def test_demo_tenant_is_idempotent_and_private(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = json.loads(_run("demo_tenant"))
    second = json.loads(_run("demo_tenant"))
    assert first == second
    assert Tenant.objects.count() == 1
    assert oct(os.stat(tmp_path / "demo-tenant.json").st_mode & 0o777) == "0o600"
    SecretKey.objects.update(revoked_at="2020-01-01T00:00:00Z")
    third = json.loads(_run("demo_tenant"))
    assert third["tenantId"] == first["tenantId"]
    saved = json.loads((tmp_path / "demo-tenant.json").read_text())
    assert third["secretKeyFile"] == str(tmp_path / "demo-tenant.json")
    assert authsignal_client(saved["secretKey"]).get_user("x")
