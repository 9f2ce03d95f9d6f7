"""Things that happen to an account: one call writes the audit row and, for the event types
tenants can subscribe to, the webhook outbox rows — in the caller's transaction."""

from accounts.models import EndUser, Tenant
from actions.audit import audit_record
from actions.webhooks import EVENT_TYPES, webhook_emit


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


def authenticator_event(authenticator, event_type: str) -> None:
    """``authenticator.created`` / ``authenticator.deleted`` for ``authenticator``."""
    event_record(
        tenant=authenticator.tenant,
        user=authenticator.user,
        event_type=event_type,
        userAuthenticatorId=authenticator.pk,
        verificationMethod=authenticator.verification_method,
        deviceId=authenticator.device_id or "",
    )


def device_event(device, event_type: str) -> None:
    """``device.bound`` / ``device.deleted`` for ``device``."""
    event_record(
        tenant=device.tenant,
        user=device.user,
        event_type=event_type,
        deviceId=device.pk,
        deviceType=device.type,
        deviceName=device.name,
    )


def action_event_detail(action) -> dict[str, object]:
    """What an ``action.updated`` event says of ``action``."""
    return {
        "actionCode": action.action_code,
        "idempotencyKey": action.idempotency_key,
        "state": action.state,
        "verificationMethod": action.verification_method or "",
    }


def action_event(action, event_type: str = "action.updated", **detail: object) -> None:
    """``action.updated`` (audited: it is an authentication's outcome) for ``action``."""
    event_record(
        tenant=action.tenant,
        user=action.user,
        event_type=event_type,
        **action_event_detail(action),
        **detail,
    )


def authentication_failed(authenticator, reason: str) -> None:
    """Audit a failed verification by ``authenticator`` (a wrong signature, code or face)."""
    event_record(
        tenant=authenticator.tenant,
        user=authenticator.user,
        event_type="authentication.failed",
        verificationMethod=authenticator.verification_method,
        userAuthenticatorId=authenticator.pk,
        reason=reason,
        locked=not authenticator.verify_is_allowed(),
    )
