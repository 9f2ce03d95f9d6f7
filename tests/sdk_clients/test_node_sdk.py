"""The official ``@authsignal/node`` client (pinned in node/package.json, installed by the test
setup with ``npm ci``) against a served Recognize: one test per public method.

Each case runs ``node/harness.js <scenario>``, which calls the SDK with the request shapes of its
own types (``@authsignal/node`` 2.21.0 ``dist/types.d.ts``, repository authsignal/authsignal-node
``src/authsignal.ts``) and asserts the response fields those types promise. Methods Recognize
does not serve yet are ``xfail(strict=True)``: the day one is implemented its case passes, the
xfail turns into a failure, and the marker must go. docs/compatibility.md has the table.
"""

import json
import os
import shutil
import subprocess
import uuid

import pytest

from tests.sdk_clients.conftest import NODE_DIR, missing

ISSUE_14 = "issue 14: "

# (scenario, why it fails today or None). Every public method of the SDK's `Authsignal` class
# (dist/authsignal.d.ts) has a scenario named after it; a few methods have a second one for
# request fields or enum spellings of the same types (src/types.ts).
SCENARIOS = [
    ("getUser", None),
    ("queryUsers", None),
    ("updateUser", None),
    ("updateUserVerifiedFlags", None),
    ("deleteUser", None),
    ("getAuthenticators", None),
    ("enrollVerifiedAuthenticator", None),
    ("enrollVerifiedAuthenticatorSms", None),
    ("deleteAuthenticator", None),
    ("track", None),
    ("trackNewerAttributes", None),
    ("validateChallenge", None),
    ("claimChallenge", None),
    ("getAction", None),
    ("queryUserActions", None),
    ("updateAction", None),
    ("challenge", None),
    ("verify", None),
    ("getChallenge", None),
    ("createSession", None),
    ("validateSession", None),
    ("refreshSession", None),
    ("revokeSession", None),
    ("revokeUserSessions", None),
    ("badSecret", None),
]


def _gap(reason: str):
    """Expected to fail on the SDK's own result (an AssertionError), and on nothing else: a
    crash of the harness or the server still fails the build."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=ISSUE_14 + reason)


def _params() -> list:
    return [
        pytest.param(
            scenario,
            id=scenario,
            marks=[_gap(gap)] if gap else [],
        )
        for scenario, gap in SCENARIOS
    ]


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with the pinned SDK installed (``npm ci`` in the test setup)."""
    binary = shutil.which("node")
    if binary is None:
        missing("node is not installed")
    if not (NODE_DIR / "node_modules" / "@authsignal" / "node" / "package.json").exists():
        missing(f"@authsignal/node is not installed: run `npm ci --prefix {NODE_DIR}`")
    return binary


def run_scenario(node: str, tenant, scenario: str, args: dict | None = None) -> dict:
    """Run one harness scenario against ``tenant``; its JSON report."""
    command = [node, "harness.js", tenant.api_url, scenario, f"u-{uuid.uuid4().hex[:12]}"]
    if args is not None:
        command.append(json.dumps(args))
    completed = subprocess.run(
        command,
        cwd=NODE_DIR,
        env={"PATH": os.environ.get("PATH", ""), "AUTHSIGNAL_SECRET": tenant.secret},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if completed.returncode != 0:
        pytest.fail(f"the harness crashed: {completed.stderr}")
    return json.loads(completed.stdout)


@pytest.mark.parametrize("scenario", _params())
def test_node_sdk_method(node, served_tenant, scenario):
    served_tenant.set_action_outcome("session", "ALLOW")
    report = run_scenario(node, served_tenant, scenario)
    assert report["ok"], report["error"]


def test_node_sdk_webhook_verifier_accepts_a_delivery(node, served_tenant):
    """A real delivery of ``action.created``, checked by ``client.webhook.constructEvent``
    (authsignal-node src/webhook.ts) keyed with the tenant's API secret key."""
    from importlib import import_module

    from django.apps import apps

    from accounts.models import Tenant
    from tests.webhook_receiver import WebhookReceiver

    # issue 12 moves the webhooks module from actions to the new events app.
    home = "events" if apps.is_installed("events") else "actions"
    webhooks = import_module(f"{home}.webhooks")

    receiver = WebhookReceiver()
    try:
        webhooks.webhook_endpoint_create(
            tenant=Tenant.objects.get(pk=served_tenant.tenant_id), url=receiver.url
        )
        run_scenario(node, served_tenant, "track")
        arrived = receiver.wait_for(1, timeout=10)
    finally:
        receiver.close()
    if not arrived:
        pytest.fail("no webhook delivery arrived")
    headers, body = arrived[0]
    lowered = {name.lower(): value for name, value in headers.items()}
    report = run_scenario(
        node,
        served_tenant,
        "webhookConstructEvent",
        {"payload": body.decode(), "signature": lowered.get("x-signature-v2", "")},
    )
    assert report["ok"], report["error"]
