"""Push credentials: an app install that can be asked to approve a sign-in.

A PUSH authenticator sits on the install's SDK device (the same key as its IN_APP one, if
any) with a ``PushRegistration`` saying how to wake it: poll only, Web Push, FCM or APNs.
The gateway registration is validated on the way in and stored sealed. A registration the
gateway reports gone is disabled (the app can still poll) rather than failing sign-ins.
"""

import json
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from accounts.encryption import seal, unseal
from accounts.models import EndUser, Tenant
from devices import keys, selectors
from devices.events import authenticator_event
from devices.models import (
    Authenticator,
    Device,
    DeviceRequestPurpose,
    PushChannel,
    PushRegistration,
    VerificationMethod,
)
from devices.proofs import device_request_verify, removal_verify
from devices.push import InvalidRegistration, push_registration_validate
from devices.services import device_credential_add, device_remove
from recognize_project.errors import ApplicationError

_SEALED_PURPOSE = "push-registration"


def _registration_canonical(channel: str, registration: object) -> dict:
    if channel == PushChannel.POLL:
        return {}
    try:
        return push_registration_validate(channel=channel, registration=registration)
    except InvalidRegistration as error:
        raise ApplicationError("invalid_push_registration", str(error)) from None


@transaction.atomic
def push_credential_add(
    *,
    user: EndUser,
    public_key: keys.DevicePublicKey,
    channel: str = PushChannel.POLL,
    registration: object = None,
    device_name: str = "",
    device_platform: str = "",
) -> Authenticator:
    """Make the install holding ``public_key`` a PUSH authenticator of ``user``."""
    canonical = _registration_canonical(channel, registration)
    authenticator = device_credential_add(
        user=user,
        public_key=public_key,
        method=VerificationMethod.PUSH,
        device_name=device_name,
        device_platform=device_platform,
    )
    _registration_store(authenticator.device, channel, canonical)
    return authenticator


def _registration_store(device: Device, channel: str, canonical: dict) -> PushRegistration:
    sealed = b""
    if canonical:
        sealed = seal(
            tenant=device.tenant,
            plaintext=json.dumps(canonical).encode(),
            purpose=_SEALED_PURPOSE,
            context=device.pk.bytes,
        )
    registration, _ = PushRegistration.objects.update_or_create(
        device=device,
        defaults={
            "channel": channel,
            "sealed_registration": sealed,
            "disabled_at": None,
            "disabled_reason": "",
        },
    )
    return registration


def push_registration_open(registration: PushRegistration) -> dict:
    """The gateway registration, unsealed (in memory only)."""
    if not registration.sealed_registration:
        return {}
    plain = unseal(
        tenant=registration.device.tenant,
        blob=bytes(registration.sealed_registration),
        purpose=_SEALED_PURPOSE,
        context=registration.device_id.bytes,
    )
    return json.loads(plain)


def push_authenticator_require(
    *, tenant: Tenant, public_key: keys.DevicePublicKey
) -> Authenticator:
    """The PUSH authenticator of the install holding ``public_key``, or a 404 error."""
    authenticator = selectors.push_authenticator_get(
        tenant=tenant, fingerprint=public_key.fingerprint
    )
    if authenticator is None:
        raise ApplicationError(
            "credential_not_found", "No push credential has this key.", status=404
        )
    return authenticator


def push_registration_update(
    *,
    tenant: Tenant,
    public_key: str,
    signature: str,
    challenge_id: str,
    fields: Mapping[str, object],
    channel: str,
    registration: object,
) -> PushRegistration:
    """A new gateway token (or channel) for an install, e.g. after FCM rotated it; the install
    signs the request under a nonce for ``push.register`` (``devices.proofs``)."""
    canonical = _registration_canonical(channel, registration)
    parsed = keys.public_key_parse(public_key)
    authenticator = push_authenticator_require(tenant=tenant, public_key=parsed)
    device_request_verify(
        tenant=tenant,
        public_key=parsed,
        purpose=DeviceRequestPurpose.PUSH_REGISTER,
        challenge_id=challenge_id,
        signature=signature,
        fields=fields,
    )
    return _registration_store(authenticator.device, channel, canonical)


def push_registration_disable(*, device_id: object, reason: str) -> None:
    """Stop using a device's gateway registration (the gateway said it is gone)."""
    PushRegistration.objects.filter(device_id=device_id, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), disabled_reason=reason[:200]
    )


def push_credential_remove(
    *,
    tenant: Tenant,
    public_key: str,
    signature: str,
    challenge_id: str | None,
    fields: Mapping[str, object],
) -> str:
    """Remove an install's PUSH authenticator (its device and other methods stay); the
    install proves the request as for unbinding (``devices.proofs.removal_verify``)."""
    parsed = keys.public_key_parse(public_key)
    authenticator = push_authenticator_require(tenant=tenant, public_key=parsed)
    removal_verify(
        tenant=tenant,
        public_key=parsed,
        purpose=DeviceRequestPurpose.PUSH_REMOVE,
        signature=signature,
        challenge_id=challenge_id,
        fields=fields,
    )
    removed = str(authenticator.pk)
    device = authenticator.device
    with transaction.atomic():
        PushRegistration.objects.filter(device=device).delete()
        authenticator.delete()
        authenticator.pk = removed  # delete() cleared it; the event names the authenticator
        authenticator_event(authenticator, "authenticator.deleted")
        if not device.authenticators.exists():
            device_remove(device)
    return removed
