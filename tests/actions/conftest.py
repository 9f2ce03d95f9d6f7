"""Fixtures for the actions tests: the push gateway stand-ins, and a tenant with a site."""

import pytest

from tests.actions.passkey_support import SITE
from tests.push_standins.fixtures import (  # noqa: F401 - fixtures, found by name
    apns_standin,
    fcm_standin,
    push_tls,
    webpush_standin,
)


@pytest.fixture
def shop(acme):
    """Tenant acme, whose site (the browser SDK's page) is ``SITE``."""
    acme.tenant.allowed_origins = [SITE]
    acme.tenant.save(update_fields=["allowed_origins"])
    return acme
