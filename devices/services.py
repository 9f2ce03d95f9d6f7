"""Writes for devices and authenticators: bind, enroll, remove."""

from collections.abc import Mapping

from django.db import IntegrityError, transaction

from accounts.models import EndUser, Tenant
from accounts.phones import phone_number_normalize
from devices import keys
from devices.events import authenticator_event, device_event
from devices.models import (
    Authenticator,
    Device,
    DeviceRequestPurpose,
    DeviceType,
    VerificationMethod,
)
from devices.proofs import removal_verify
from devices.tasks import device_bound_notify
from recognize_project.errors import ApplicationError
from recognize_project.fields import DEVICE_NAME_MAX, DEVICE_PLATFORM_MAX, display_text_clean
from recognize_project.notifications import notify_after_commit

BACKEND_ENROLLABLE = {
    VerificationMethod.EMAIL_OTP: "email",
    VerificationMethod.EMAIL_MAGIC_LINK: "email",
    VerificationMethod.SMS_OTP: "phone_number",
}


@transaction.atomic
def device_credential_add(
    *,
    user: EndUser,
    public_key: keys.DevicePublicKey,
    method: str,
    device_name: str = "",
    device_platform: str = "",
    user_authentication_required: bool = False,
) -> Authenticator:
    """Bind an app install's key to ``user`` as an IN_APP or PUSH authenticator.

    The key's SDK device is created on first use (and the user is told by e-mail) and shared
    by both methods. Adding the same key and method again for the same user returns the
    existing credential; a key bound to another user is refused.
    """
    device = Device.objects.filter(
        tenant=user.tenant, public_key_fingerprint=public_key.fingerprint
    ).first()
    if device is not None and device.user_id != user.pk:
        raise ApplicationError(
            "credential_exists", "This key is bound to another user.", status=409
        )
    if device is not None:
        existing = device.authenticators.filter(verification_method=method).first()
        if existing is not None:
            return existing
    else:
        device = _sdk_device_create(
            user=user,
            public_key=public_key,
            device_name=device_name,
            device_platform=device_platform,
            user_authentication_required=user_authentication_required,
        )
    authenticator = Authenticator.objects.create(
        tenant=user.tenant, user=user, verification_method=method, device=device
    )
    authenticator_event(authenticator, "authenticator.created")
    return authenticator


def _sdk_device_create(
    *,
    user: EndUser,
    public_key: keys.DevicePublicKey,
    device_name: str,
    device_platform: str,
    user_authentication_required: bool,
) -> Device:
    try:
        with transaction.atomic():
            device = Device.objects.create(
                tenant=user.tenant,
                user=user,
                type=DeviceType.SDK,
                name=display_text_clean(device_name, DEVICE_NAME_MAX),
                platform=display_text_clean(device_platform, DEVICE_PLATFORM_MAX),
                public_key=public_key.spki_b64,
                public_key_fingerprint=public_key.fingerprint,
                user_authentication_required=user_authentication_required,
            )
    except IntegrityError:
        raise ApplicationError(
            "credential_exists", "This key is already bound.", status=409
        ) from None
    device_event(device, "device.bound")
    notify_after_commit(device_bound_notify, str(device.pk))
    return device


def in_app_credential_add(
    *, user: EndUser, public_key: keys.DevicePublicKey, **device
) -> Authenticator:
    """Bind an app install's key to ``user``: an SDK device with an IN_APP authenticator."""
    return device_credential_add(
        user=user, public_key=public_key, method=VerificationMethod.IN_APP, **device
    )


def in_app_credential_remove(
    *,
    tenant: Tenant,
    public_key: str,
    signature: str,
    challenge_id: str | None,
    fields: Mapping[str, object],
) -> str:
    """Unbind the device holding ``public_key``, which proves the request (``devices.proofs``:
    a nonce for ``device.remove``, or the SDKs' time-window signature, once).

    Returns the id of the removed authenticator.
    """
    parsed = keys.public_key_parse(public_key)
    authenticator = (
        Authenticator.objects.select_related("device")
        .filter(
            tenant=tenant,
            verification_method=VerificationMethod.IN_APP,
            device__public_key_fingerprint=parsed.fingerprint,
        )
        .first()
    )
    if authenticator is None:
        raise ApplicationError("credential_not_found", "No credential has this key.", status=404)
    removal_verify(
        tenant=tenant,
        public_key=parsed,
        purpose=DeviceRequestPurpose.DEVICE_REMOVE,
        signature=signature,
        challenge_id=challenge_id,
        fields=fields,
    )
    removed_id = str(authenticator.pk)
    device_remove(authenticator.device)
    return removed_id


def authenticator_enroll_verified(
    *, user: EndUser, verification_method: str, email: str = "", phone_number: str = ""
) -> Authenticator:
    """Enroll an e-mail or SMS authenticator whose address the tenant already verified."""
    field = BACKEND_ENROLLABLE.get(verification_method)
    if field is None:
        allowed = ", ".join(sorted(BACKEND_ENROLLABLE))
        raise ApplicationError(
            "invalid_verification_method",
            f"The server API enrolls {allowed}; other methods are enrolled by the user's device.",
        )
    value = {
        "email": email,
        "phone_number": phone_number_normalize(phone_number, tenant=user.tenant),
    }[field]
    if not value:
        raise ApplicationError(
            "invalid_request", f"{'email' if field == 'email' else 'phoneNumber'} is required."
        )
    authenticator, created = Authenticator.objects.get_or_create(
        tenant=user.tenant, user=user, verification_method=verification_method, **{field: value}
    )
    if created:
        authenticator_event(authenticator, "authenticator.created")
    return authenticator


def authenticator_delete(*, user: EndUser, authenticator_id: str) -> bool:
    """Delete an authenticator; a device-bound one takes its device with it."""
    authenticator = (
        Authenticator.objects.filter(user=user, pk=authenticator_id)
        .select_related("device")
        .first()
    )
    if authenticator is None:
        return False
    if authenticator.device is not None:
        device_remove(authenticator.device)
    else:
        authenticator.delete()
        authenticator_event(authenticator, "authenticator.deleted")
    return True


@transaction.atomic
def device_delete(*, user: EndUser, device_id: str) -> bool:
    """Delete a device at once, with its authenticators; False when there is no such device."""
    device = Device.objects.select_related("tenant", "user").filter(user=user, pk=device_id).first()
    if device is None:
        return False
    device_remove(device)
    return True


def device_remove(device: Device) -> None:
    """Delete ``device`` (revoking it at once) and record what went with it."""
    gone = [
        a for a in device.authenticators.all() if a.verification_method != VerificationMethod.FACE
    ]
    device_id = device.pk
    device.delete()
    device.pk = device_id  # delete() cleared it; the event names the device
    device_event(device, "device.deleted")
    for authenticator in gone:
        authenticator_event(authenticator, "authenticator.deleted")
