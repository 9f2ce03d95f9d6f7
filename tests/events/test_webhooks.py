"""Signed webhooks from the outbox: what arrives, its signature, retries, the sweep, replay."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import webhooks
from events.models import DeliveryStatus, WebhookDelivery
from events.tasks import webhook_outbox_sweep
from recognize_sdk.webhooks import WebhookSignatureError, webhook_sign, webhook_verify
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(acme_committed, receiver):
    webhooks._endpoints_cache.clear()
    endpoint, secret = webhooks.webhook_endpoint_create(
        tenant=acme_committed.tenant, url=receiver.url
    )
    return endpoint, secret


def test_binding_and_deleting_a_device_send_signed_events(acme_committed, endpoint, receiver):
    _, secret = endpoint
    device = acme_committed.bound_device("alice")
    acme_committed.delete_device("alice", device.key().binding["deviceId"])
    arrived = receiver.wait_for(5)
    types = [json.loads(body)["type"] for _, body in arrived]
    assert types == [
        "recognize.action.created",  # the enrollment's track
        "recognize.device.bound",
        "authenticator.created",
        "recognize.device.deleted",
        "authenticator.deleted",
    ]
    headers, body = arrived[1]
    webhook_verify(secret=secret, header=headers["Recognize-Signature"], body=body)
    event = json.loads(body)
    assert headers["Recognize-Event-Id"] == event["id"]
    assert event["tenantId"] == str(acme_committed.tenant.pk)
    assert event["data"]["userId"] == "alice" and event["data"]["deviceType"] == "SDK"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"DELIVERED"}


def test_an_endpoint_gets_only_the_events_it_asked_for(acme_committed, receiver):
    webhooks._endpoints_cache.clear()
    webhooks.webhook_endpoint_create(
        # an endpoint made before the recognize. names: its plain name still filters
        tenant=acme_committed.tenant,
        url=receiver.url,
        event_types=["device.deleted"],
    )
    device = acme_committed.bound_device("alice")
    acme_committed.delete_device("alice", device.key().binding["deviceId"])
    (only,) = receiver.wait_for(1)
    assert json.loads(only[1])["type"] == "recognize.device.deleted"
    assert WebhookDelivery.objects.count() == 1


def test_a_failing_endpoint_is_retried_with_backoff_then_swept(acme_committed, endpoint, receiver):
    receiver.status = 503
    acme_committed.bound_device("alice")
    delivery = WebhookDelivery.objects.get(event_type="recognize.device.bound")
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.PENDING,
        1,
        "HTTP 503",
    )
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 5 < wait <= 10
    assert webhooks.backoff_seconds(2) == 20 and webhooks.backoff_seconds(30) == 3600
    assert webhook_outbox_sweep() == 0  # not due yet
    receiver.status = 200
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    assert webhook_outbox_sweep() == 3  # action.created, device.bound, authenticator.created
    assert len(receiver.wait_for(3)) == 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_a_delivery_is_given_up_after_the_last_attempt(acme_committed, endpoint, receiver):
    receiver.status = 500
    acme_committed.bound_device("alice")
    delivery = WebhookDelivery.objects.get(event_type="recognize.device.bound")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=webhooks.MAX_ATTEMPTS - 1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhooks.webhook_delivery_attempt(str(delivery.pk)) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_a_delivery_being_sent_is_not_sent_twice(acme_committed, endpoint, receiver):
    receiver.status = 500
    acme_committed.bound_device("alice")
    delivery = WebhookDelivery.objects.get(event_type="recognize.device.bound")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, lease_until=timezone.now() + timedelta(seconds=30)
    )
    assert webhooks.webhook_delivery_attempt(str(delivery.pk)) is None
    assert str(delivery.pk) not in webhooks.webhook_outbox_due()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert str(delivery.pk) in webhooks.webhook_outbox_due()  # the sender died: lease over


def test_replay_sends_a_delivered_event_again(acme_committed, endpoint, receiver):
    acme_committed.bound_device("alice")
    receiver.wait_for(3)
    delivery = WebhookDelivery.objects.get(event_type="recognize.device.bound")
    webhooks.webhook_delivery_replay(delivery=delivery)
    arrived = receiver.wait_for(4)
    assert json.loads(arrived[-1][1])["id"] == str(delivery.event_id)


def test_a_tenant_without_endpoints_pays_no_query(acme):
    webhooks._endpoints_cache.clear()
    webhooks.webhook_emit(tenant=acme.tenant, event_type="device.bound", data={})
    with CaptureQueriesContext(connection) as queries:
        assert webhooks.webhook_emit(tenant=acme.tenant, event_type="device.bound", data={}) == []
    assert len(queries) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"body": b'{"forged":true}'},
        {"secret": "whsec_other"},
        {"now": 1_000_000 + 301},
        {"header": "v1=abc"},
        {"header": ""},
    ],
)
def test_receivers_reject_forged_or_stale_signatures(change):
    body = b'{"id":"1"}'
    header = webhook_sign(secret="whsec_right", body=body, timestamp=1_000_000)
    webhook_verify(secret="whsec_right", header=header, body=body, now=1_000_000 + 299)
    with pytest.raises(WebhookSignatureError):
        webhook_verify(
            secret=change.get("secret", "whsec_right"),
            header=change.get("header", header),
            body=change.get("body", body),
            now=change.get("now", 1_000_000),
        )


def test_the_secret_is_stored_sealed(acme_committed, endpoint):
    row, secret = endpoint
    assert secret.encode() not in bytes(row.sealed_secret)


def test_actions_are_announced_and_every_attempt_is_audited(acme_committed, receiver):
    from events.models import AuditEvent
    from recognize_sdk import RecognizeError

    webhooks._endpoints_cache.clear()
    webhooks.webhook_endpoint_create(
        tenant=acme_committed.tenant,
        url=receiver.url,
        event_types=["recognize.action.created", "recognize.action.updated"],
    )
    phone = acme_committed.bound_device("alice")
    tracked = acme_committed.track("alice", "signIn")
    phone.verify(token=tracked["token"])
    events = [json.loads(body) for _, body in receiver.wait_for(3)]
    created = [e for e in events if e["type"] == "recognize.action.created"]
    updated = [e for e in events if e["type"] == "recognize.action.updated"]
    assert tracked["idempotency_key"] in {e["data"]["idempotencyKey"] for e in created}
    assert updated[-1]["data"]["state"] == "CHALLENGE_SUCCEEDED"
    assert updated[-1]["data"]["verificationMethod"] == "IN_APP"
    key = phone.key()
    challenge = phone.client.challenge(token=acme_committed.track("alice", "pay")["token"])
    with pytest.raises(RecognizeError):
        phone.client.verify_in_app(
            challenge_id=challenge["challengeId"],
            public_key=key.public_key,
            signature=key.sign("something else"),
        )
    audited = list(AuditEvent.objects.values_list("event_type", flat=True))
    assert "action.updated" in audited and "authentication.failed" in audited
    failed = AuditEvent.objects.get(event_type="authentication.failed")
    assert failed.detail["reason"] == "invalid_signature" and failed.detail["locked"] == "False"
