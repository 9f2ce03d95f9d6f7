"""The event log's rows: audit events, and the webhook endpoints and deliveries (the outbox).

These models were born in the ``actions`` app; they keep their ``actions_*`` table names so
that existing databases move over without a data migration (events/migrations/0001 takes them
over in Django's state only).
"""

import uuid

from django.db import models

from accounts.models import EndUser, Tenant


class AuditEvent(models.Model):
    """Something that happened to a user's account: append-only, never edited.

    ``detail`` holds ids and names only, never secrets, codes or biometric data.
    """

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_events")
    user = models.ForeignKey(  # indexed by the (user, -created_at) index below
        EndUser,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    event_type = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "actions_auditevent"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.created_at:%Y-%m-%d %H:%M:%S}"


#: Event types as webhooks name them: Authsignal's name where Authsignal has the event
#: (``authenticator.created``, ``authenticator.deleted``, ``push.created``: docs.authsignal.com
#: webhooks event types), Recognize's own namespaced ``recognize.`` otherwise. The audit log
#: keeps the plain names.
WEBHOOK_TYPE_NAMES = {
    "action.created": "recognize.action.created",
    "action.updated": "recognize.action.updated",
    "device.bound": "recognize.device.bound",
    "device.deleted": "recognize.device.deleted",
    "recovery.completed": "recognize.recovery.completed",
}


def webhook_type(event_type: str) -> str:
    """The name webhooks give ``event_type``."""
    return WEBHOOK_TYPE_NAMES.get(event_type, event_type)


class WebhookEndpoint(models.Model):
    """Where a tenant wants events sent. The signing secret is stored sealed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types to send; empty means every event."
    )
    sealed_secret = models.BinaryField(editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "actions_webhookendpoint"

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint takes ``event_type``; its filter may name the event either way
        (endpoints made before the ``recognize.`` names keep the plain ones)."""
        if not self.enabled:
            return False
        return not self.event_types or bool(
            {event_type, webhook_type(event_type)} & set(self.event_types)
        )


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    SENDING = "SENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, written in the transaction of the change.

    A worker claims it (PENDING → SENDING, with a lease), posts it, and marks it DELIVERED on a
    2xx; otherwise it goes back to PENDING with an exponentially later ``next_attempt_at``. A
    periodic sweep picks up whatever no queued task is carrying (after a broker outage, a crash).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "actions_webhookdelivery"
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
