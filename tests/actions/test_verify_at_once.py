"""The one-statement in-app verification writes exactly what the transactional path writes,
and leaves every verification that is not the ordinary kind to that path."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions import verify_at_once
from actions.models import Action
from devices.models import Authenticator, Device
from events import webhooks
from events.models import AuditEvent, WebhookDelivery
from tests.support import TenantContext


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")


def _verify(acme: TenantContext, device) -> tuple[dict, int]:
    """Verify a fresh action of alice's: the answer and the statements verify sent (not
    counting transaction control)."""
    token = acme.track("alice")["token"]
    client, key = acme.device_client(), device.key()
    challenge_id = client.challenge(token=token)["challengeId"]
    with CaptureQueriesContext(connection) as sent:
        answer = client.verify_in_app(
            challenge_id=challenge_id,
            public_key=key.public_key,
            signature=key.sign(challenge_id),
            token=token,
        )
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    return answer, sum(not q["sql"].startswith(control) for q in sent.captured_queries)


def _comparable(event: AuditEvent) -> tuple:
    detail = {k: v for k, v in event.detail.items() if k != "idempotencyKey"}
    return event.tenant_id, event.user_id, event.event_type, event.ip_address, detail


def test_an_ordinary_verification_writes_what_the_transaction_writes(acme, postgresql):
    device = acme.bound_device("alice")
    first, slow_statements = _verify(acme, device)  # first use: the transactional path
    second, fast_statements = _verify(acme, device)
    assert (slow_statements > 1, fast_statements) == (True, 1)
    slow, fast = (Action.objects.get(idempotency_key=a["idempotencyKey"]) for a in (first, second))
    fields = ["state", "verification_method", "verified_device_id", "device_bound", "user_id"]
    assert [getattr(fast, f) for f in fields] == [getattr(slow, f) for f in fields]
    assert fast.state_updated_at > slow.state_updated_at
    events = list(AuditEvent.objects.filter(event_type="action.updated").order_by("id"))
    assert len(events) == 2
    assert _comparable(events[0]) == _comparable(events[1])
    assert events[1].detail["idempotencyKey"] == second["idempotencyKey"]
    assert acme.server.validate_challenge({"token": second["token"]})["is_valid"] is True


def test_a_tenant_with_a_webhook_for_the_event_gets_its_outbox_row(acme, postgresql):
    device = acme.bound_device("alice")
    _verify(acme, device)
    webhooks.webhook_endpoint_create(
        tenant=acme.tenant, url="https://hooks.example/recognize", event_types=["action.updated"]
    )
    webhooks._endpoints_cache.clear()
    answer, statements = _verify(acme, device)
    assert statements > 1
    assert WebhookDelivery.objects.filter(
        event_type="recognize.action.updated",
        payload__data__idempotencyKey=answer["idempotencyKey"],
    ).exists()


def test_failures_on_record_are_reset_by_the_transactional_path(acme, postgresql):
    device = acme.bound_device("alice")
    _verify(acme, device)
    Authenticator.objects.update(failure_count=2)
    _, statements = _verify(acme, device)
    assert statements > 1
    assert Authenticator.objects.get().failure_count == 0


def test_last_use_is_written_once_it_is_due(acme, postgresql, monkeypatch):
    device = acme.bound_device("alice")
    _verify(acme, device)
    later = timezone.now() + verify_at_once.LAST_USE_GRANULARITY
    monkeypatch.setattr(timezone, "now", lambda: later)
    _verify(acme, device)
    assert Device.objects.get().last_used_at == later
    assert Authenticator.objects.get().last_verified_at == later


def test_sqlite_always_takes_the_transactional_path(acme):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's case")
    device = acme.bound_device("alice")
    _verify(acme, device)
    assert _verify(acme, device)[1] == 4
