"""A served Recognize for the official SDKs: Django's live server and a fresh tenant per test.

The SDKs run unchanged over real HTTP (no in-process adapter), as a tenant's backend runs them.
"""

import json
import os
from io import StringIO
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"


def missing(reason: str):
    """Skip with the reason, except in CI, where a missing harness is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"SDK harness cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


class ServedTenant:
    """A tenant on the live server: its API base URL, id and secret key."""

    def __init__(self, api_url: str, tenant_id: str, secret: str) -> None:
        self.api_url = api_url
        self.tenant_id = tenant_id
        self.secret = secret

    def set_action_outcome(self, action: str, outcome: str) -> None:
        """The default outcome of an action code, as an operator sets it."""
        from django.core.management import call_command

        call_command(
            "set_action_outcome", "--tenant", self.tenant_id, action, outcome, stdout=StringIO()
        )


@pytest.fixture
def served_tenant(live_server, transactional_db) -> ServedTenant:
    """A new tenant, created as an operator does (``manage.py create_tenant``)."""
    from django.core.management import call_command

    out = StringIO()
    call_command("create_tenant", "sdk-harness", stdout=out)
    created = json.loads(out.getvalue())
    return ServedTenant(f"{live_server.url}/v1", created["tenantId"], created["secretKey"])
