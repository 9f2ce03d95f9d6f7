"""The events devices and authenticators record: bound, deleted, created, a failed attempt."""

from devices.models import Authenticator, Device
from events.services import event_record


def authenticator_event(authenticator: Authenticator, event_type: str) -> None:
    """``authenticator.created`` / ``authenticator.deleted`` for ``authenticator``."""
    event_record(
        tenant=authenticator.tenant,
        user=authenticator.user,
        event_type=event_type,
        userAuthenticatorId=authenticator.pk,
        verificationMethod=authenticator.verification_method,
        deviceId=authenticator.device_id or "",
    )


def device_event(device: Device, event_type: str) -> None:
    """``device.bound`` / ``device.deleted`` for ``device``."""
    event_record(
        tenant=device.tenant,
        user=device.user,
        event_type=event_type,
        deviceId=device.pk,
        deviceType=device.type,
        deviceName=device.name,
    )


def authentication_failed(authenticator: Authenticator, reason: str) -> None:
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
