"""Portal fixtures: a tenant whose user alice has an e-mail address and a phone number."""

import pytest
from django.core import mail


@pytest.fixture
def alice(acme_committed, settings):
    """Alice, on a database that commits (codes are delivered after commit)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    acme_committed.server.update_user(
        "alice",
        {"email": "alice@example.com", "phoneNumber": "+15551230001", "displayName": "Alice"},
    )
    from accounts.models import EndUser

    return EndUser.objects.get(tenant=acme_committed.tenant, external_id="alice")
