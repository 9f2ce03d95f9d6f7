"""Webhooks in Authsignal's format: the ``X-Signature-V2`` signature keyed with the tenant's
API secret key, the envelope, and the endpoint's Standard Webhooks signature.

The signature and envelope follow @authsignal/node src/webhook.ts ``Webhook.constructEvent``
and authsignalgo client/webhook.go ``ConstructEvent`` / client/types.go ``WebhookEvent``
(authsignal/authsignal-node, authsignal/authsignalgo); the Node SDK's own verifier is run on a
real delivery in tests/sdk_clients/test_node_sdk.py.
"""

import base64
import hashlib
import hmac
import json

import pytest

from accounts.models import SecretKey
from accounts.selectors import secret_keys_for_signing
from accounts.services import secret_key_rotate
from events import webhooks
from events.models import WebhookDelivery
from recognize_sdk.webhooks import WebhookSignatureError, authsignal_sign, authsignal_verify
from tests.support import authsignal_client
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def endpoint_secret(acme_committed, receiver):
    webhooks._endpoints_cache.clear()
    _, secret = webhooks.webhook_endpoint_create(tenant=acme_committed.tenant, url=receiver.url)
    return secret


def _delivered(acme, receiver, user_id: str = "alice") -> tuple[dict, bytes]:
    before = len(receiver.received)
    acme.track(user_id, "signIn")
    return receiver.wait_for(before + 1)[-1]


def test_a_delivery_is_signed_with_the_api_secret_key_in_authsignal_s_format(
    acme_committed, endpoint_secret, receiver
):
    headers, body = _delivered(acme_committed, receiver)
    authsignal_verify(key=acme_committed.secret, header=headers["X-Signature-V2"], body=body)
    timestamp, signature = (part.split("=", 1)[1] for part in headers["X-Signature-V2"].split(","))
    expected = hmac.new(
        acme_committed.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).digest()
    assert signature == base64.b64encode(expected).decode().rstrip("=")
    event = json.loads(body)
    assert event["version"] == 1
    assert event["type"] == "recognize.action.created"
    assert event["tenantId"] == acme_committed.tenant_id
    assert event["source"] and event["time"] and event["id"] and event["data"]["userId"] == "alice"
    assert acme_committed.secret not in body.decode()
    assert acme_committed.secret not in json.dumps(headers)


def test_the_endpoint_secret_signs_a_standard_webhooks_signature(
    acme_committed, endpoint_secret, receiver
):
    headers, body = _delivered(acme_committed, receiver)
    key = base64.b64decode(endpoint_secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["webhook-id"] == json.loads(body)["id"]


def test_rotating_the_secret_key_signs_with_the_new_key_from_then_on(
    acme_committed, endpoint_secret, receiver
):
    _, new_secret = secret_key_rotate(tenant=acme_committed.tenant)
    authsignal_client(new_secret).track("alice", "signIn", {})
    headers, body = receiver.wait_for(1)[-1]
    authsignal_verify(key=new_secret, header=headers["X-Signature-V2"], body=body)
    with pytest.raises(WebhookSignatureError):
        authsignal_verify(key=acme_committed.secret, header=headers["X-Signature-V2"], body=body)


def test_a_key_from_before_sealing_falls_back_to_the_endpoint_secret(
    acme_committed, endpoint_secret, receiver
):
    SecretKey.objects.update(sealed_secret=b"")  # what the migration leaves of older keys
    assert secret_keys_for_signing(tenant=acme_committed.tenant) == []
    headers, body = _delivered(acme_committed, receiver)
    authsignal_verify(key=endpoint_secret, header=headers["X-Signature-V2"], body=body)


def test_the_api_secret_key_is_stored_sealed(acme):
    row = SecretKey.objects.get()
    assert acme.secret.encode() not in bytes(row.sealed_secret)
    assert secret_keys_for_signing(tenant=acme.tenant) == [acme.secret]


@pytest.mark.parametrize(
    "change",
    [
        {"key": "rk_other"},
        {"body": b'{"id":"2"}'},
        {"now": 1_000_000 + 301},
        {"header": "t=1000000"},
        {"header": "v2=abc"},
        {"header": ""},
    ],
)
def test_authsignal_verifier_rejects_forged_or_stale_signatures(change):
    body = b'{"id":"1"}'
    header = authsignal_sign(keys=["rk_right", "rk_other_active"], body=body, timestamp=1_000_000)
    authsignal_verify(key="rk_right", header=header, body=body, now=1_000_000 + 299)
    authsignal_verify(key="rk_other_active", header=header, body=body, now=1_000_000)
    with pytest.raises(WebhookSignatureError):
        authsignal_verify(
            key=change.get("key", "rk_right"),
            header=change.get("header", header),
            body=change.get("body", body),
            now=change.get("now", 1_000_000),
        )


def test_item09_receivers_get_what_replay_protection_needs(
    acme_committed, endpoint_secret, receiver
):
    """Security item 9: the timestamp is inside what is signed, a delivery older than the
    documented 5 minutes is refused by the verifiers, and each event has an id to de-duplicate
    on that stays the same when the delivery is sent again (docs/security.md)."""
    headers, body = _delivered(acme_committed, receiver)
    timestamp = int(headers["X-Signature-V2"].split(",")[0].removeprefix("t="))
    event_id = json.loads(body)["id"]
    assert headers["webhook-id"] == event_id and headers["Recognize-Event-Id"]
    resigned = authsignal_sign(keys=[acme_committed.secret], body=body, timestamp=timestamp + 60)
    with pytest.raises(WebhookSignatureError):  # the time cannot be moved without the key
        authsignal_verify(
            key=acme_committed.secret,
            header=resigned.replace(f"t={timestamp + 60}", f"t={timestamp}"),
            body=body,
        )
    stale = authsignal_sign(keys=[acme_committed.secret], body=body, timestamp=timestamp - 301)
    with pytest.raises(WebhookSignatureError):
        authsignal_verify(key=acme_committed.secret, header=stale, body=body)
    delivery = WebhookDelivery.objects.get(event_id=headers["Recognize-Event-Id"])
    webhooks.webhook_delivery_replay(delivery=delivery)
    again, _ = receiver.wait_for(2)[-1]
    assert again["Recognize-Event-Id"] == headers["Recognize-Event-Id"]
