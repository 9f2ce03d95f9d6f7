"""Signed webhooks through an outbox: events are rows written with the change that caused them.

``webhook_emit`` adds one delivery row per interested endpoint inside the caller's transaction
and queues a task after commit. The task claims the row (PENDING → SENDING under a lease, one
conditional UPDATE, so two tasks never send the same row at once), posts it signed
(``recognize_sdk.webhooks``), and marks it DELIVERED on a 2xx or schedules the next attempt
with exponential backoff. ``webhook_outbox_due`` finds what no queued task is carrying — after
a broker outage or a worker crash — for the periodic sweep. A worker dying between the POST and
the mark re-sends after the lease: receivers dedupe on ``Recognize-Event-Id``.
"""

import base64
import json
import logging
import secrets
import time
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.encryption import seal, unseal
from accounts.models import Tenant
from accounts.selectors import secret_keys_for_signing
from events import conf
from events.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, webhook_type
from events.tasks import webhook_deliver
from recognize_project.notifications import notify_after_commit
from recognize_sdk.webhooks import (
    AUTHSIGNAL_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    authsignal_sign,
    standard_webhook_headers,
    webhook_sign,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = timedelta(seconds=60)
ENDPOINT_CACHE_SECONDS = 10.0
EVENT_TYPES = (
    "action.created",
    "action.updated",
    "authenticator.created",
    "authenticator.deleted",
    "device.bound",
    "device.deleted",
    "push.created",
    "recovery.completed",
)
_SECRET_PURPOSE = "webhook-secret"
ENVELOPE_VERSION = 1
_endpoints_cache: dict[uuid.UUID, tuple[float, list[WebhookEndpoint]]] = {}


def webhook_endpoint_create(
    *, tenant: Tenant, url: str, event_types: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which is returned once and stored sealed."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    endpoint = WebhookEndpoint(tenant=tenant, url=url, event_types=list(event_types or []))
    endpoint.sealed_secret = seal(
        tenant=tenant,
        plaintext=secret.encode(),
        purpose=_SECRET_PURPOSE,
        context=endpoint.pk.bytes,
    )
    endpoint.save()
    _endpoints_cache.pop(tenant.pk, None)
    return endpoint, secret


def _secret(endpoint: WebhookEndpoint) -> str:
    return unseal(
        tenant=endpoint.tenant,
        blob=bytes(endpoint.sealed_secret),
        purpose=_SECRET_PURPOSE,
        context=endpoint.pk.bytes,
    ).decode()


def _endpoints(tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    """The tenant's enabled endpoints, from process memory for up to ENDPOINT_CACHE_SECONDS
    (so a tenant without webhooks costs no query per event; a new endpoint starts receiving
    within that time in other processes)."""
    now = time.monotonic()
    cached = _endpoints_cache.get(tenant_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    endpoints = list(WebhookEndpoint.objects.filter(tenant_id=tenant_id, enabled=True))
    _endpoints_cache[tenant_id] = (now + ENDPOINT_CACHE_SECONDS, endpoints)
    return endpoints


def webhook_wanted(*, tenant: Tenant, event_type: str) -> bool:
    """Whether any endpoint of ``tenant`` wants ``event_type`` (from the endpoint cache)."""
    return any(e.wants(event_type) for e in _endpoints(tenant.pk))


def webhook_emit(*, tenant: Tenant, event_type: str, data: dict) -> list[WebhookDelivery]:
    """Record ``event_type`` for every endpoint of ``tenant`` that wants it (in the caller's
    transaction) and queue the deliveries once it commits."""
    endpoints = [e for e in _endpoints(tenant.pk) if e.wants(event_type)]
    if not endpoints:
        return []
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {  # Authsignal's envelope (authsignalgo client/types.go WebhookEvent)
        "version": ENVELOPE_VERSION,
        "id": str(event_id),
        "type": webhook_type(event_type),
        "source": settings.RECOGNIZE_PUBLIC_URL,
        "time": now.isoformat(),
        "tenantId": str(tenant.pk),
        "data": data,
        "createdAt": now.isoformat(),
    }
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            tenant=tenant,
            endpoint=endpoint,
            event_id=event_id,
            event_type=webhook_type(event_type),
            payload=payload,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    for row in rows:
        notify_after_commit(webhook_deliver, str(row.pk))
    return rows


def _claim(delivery_id: str) -> WebhookDelivery | None:
    now = timezone.now()
    claimable = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    with transaction.atomic():
        claimed = WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(
            status=DeliveryStatus.SENDING, lease_until=now + LEASE
        )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint", "endpoint__tenant").get(
        pk=delivery_id
    )


def backoff_seconds(attempts: int) -> int:
    """Wait before attempt ``attempts + 1``: 10 s doubling, at most an hour."""
    return min(10 * 2 ** (attempts - 1), 3600)


def webhook_delivery_attempt(delivery_id: str) -> int | None:
    """Try to deliver one row; returns seconds until the next attempt, or None when done
    (delivered, given up, or not ours to send right now)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    endpoint_secret = _secret(delivery.endpoint)
    timestamp = int(time.time())
    # Keys created before secret keys were kept sealed cannot sign: until the tenant rotates
    # them, Authsignal's signature is made with the endpoint's secret instead.
    api_keys = secret_keys_for_signing(tenant=delivery.endpoint.tenant) or [endpoint_secret]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Recognize-Webhooks/1",
        "Recognize-Event-Id": str(delivery.event_id),
        "Recognize-Event-Type": delivery.event_type,
        AUTHSIGNAL_SIGNATURE_HEADER: authsignal_sign(keys=api_keys, body=body, timestamp=timestamp),
        **standard_webhook_headers(
            secret=endpoint_secret,
            message_id=str(delivery.event_id),
            body=body,
            timestamp=timestamp,
        ),
        SIGNATURE_HEADER: webhook_sign(secret=endpoint_secret, body=body, timestamp=timestamp),
    }
    status, error = None, ""
    try:
        response = requests.post(delivery.endpoint.url, data=body, headers=headers, timeout=10)
        status = response.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}"
    delivery.attempts += 1
    delivery.last_response_status = status
    delivery.last_error = error or ("" if status and status < 300 else f"HTTP {status}")
    delivery.lease_until = None
    now = timezone.now()
    wait = None
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
    else:
        wait = backoff_seconds(delivery.attempts)
        delivery.status, delivery.next_attempt_at = (
            DeliveryStatus.PENDING,
            now + timedelta(seconds=wait),
        )
    delivery.save(
        update_fields=[
            "attempts",
            "last_response_status",
            "last_error",
            "lease_until",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return wait


def webhook_outbox_due(*, limit: int = 500) -> list[str]:
    """Rows no queued task is carrying: due for a while, or sending past their lease."""
    now = timezone.now()
    due = Q(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now - timedelta(seconds=conf.ACTIONS_OUTBOX_SWEEP_GRACE_SECONDS),
    ) | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    ids = WebhookDelivery.objects.filter(due).order_by("next_attempt_at").values_list("pk")
    return [str(pk) for (pk,) in ids[:limit]]


def webhook_delivery_replay(*, delivery: WebhookDelivery) -> None:
    """Send a delivery again (an operator's replay), whatever became of it."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now(),
        lease_until=None,
        attempts=0,
    )
    notify_after_commit(webhook_deliver, str(delivery.pk))
