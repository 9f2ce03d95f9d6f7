"""Things that happen to an account: one call writes the audit row and, for the event types
tenants can subscribe to, the webhook outbox rows — in the caller's transaction."""

from accounts.models import EndUser, Tenant
from events.audit import audit_record
from events.webhooks import EVENT_TYPES, webhook_emit


def event_record(
    *, tenant: Tenant, event_type: str, user: EndUser | None = None, **detail: object
) -> None:
    """Record ``event_type`` (ids and names in ``detail``, never secrets or face data)."""
    audit_record(tenant=tenant, event_type=event_type, user=user, **detail)
    if event_type in EVENT_TYPES:
        data = {
            key: value if isinstance(value, (bool, int, float)) else str(value)
            for key, value in detail.items()
        }
        if user is not None:
            data["userId"] = user.external_id
        webhook_emit(tenant=tenant, event_type=event_type, data=data)
