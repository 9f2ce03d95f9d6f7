"""Proof that a request changing a device's own credentials came from the device, once.

Unbinding a device, changing or stopping its push registration and fetching its pending push
challenge are signed by the device key. A signature over a bare time value (as these requests
used to carry) could be captured and replayed for another of them within its window — removing
a device is enough to let an attacker enroll their own key for the user. So the device first
asks for a nonce for one purpose (``device_nonce_issue``: 256 random bits, two minutes, bound to
the tenant, the key and the purpose), then signs ``recognize_sdk.proof.device_request_message``
— purpose, tenant, nonce and the hash of the request's other fields — and the server spends the
nonce in one conditional UPDATE (``device_request_verify``). A replay, a nonce for another
purpose, key or tenant, an altered body or an expired nonce is refused, and nothing changes.

The official mobile SDKs remove a credential by signing the current ten-minute window, a
message they fix. That form stays accepted for removals only, and each such signature once
(``time_window_signature_spend``).
"""

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Tenant
from devices import keys
from devices.models import DeviceNonce, DeviceRequestPurpose, SpentSignature
from recognize_project.errors import ApplicationError
from recognize_sdk.proof import device_request_message

NONCE_TTL = timedelta(seconds=120)
#: A time-window signature is valid in its window and the neighbouring ones.
TIME_WINDOW_SIGNATURE_TTL = timedelta(seconds=3 * keys.REMOVAL_WINDOW_SECONDS)


def device_nonce_issue(
    *, tenant: Tenant, public_key: keys.DevicePublicKey, purpose: str
) -> DeviceNonce:
    """A fresh nonce for one request of ``purpose`` signed by ``public_key``.

    Issued whether or not the key is bound (the answer reveals nothing about it); the request
    it is spent on checks that.
    """
    if purpose not in DeviceRequestPurpose.values:
        raise ApplicationError(
            "invalid_request",
            f"purpose must be one of {', '.join(DeviceRequestPurpose.values)}.",
        )
    return DeviceNonce.objects.create(
        id=secrets.token_urlsafe(32),
        tenant=tenant,
        fingerprint=public_key.fingerprint,
        purpose=purpose,
        expires_at=timezone.now() + NONCE_TTL,
    )


def device_request_verify(
    *,
    tenant: Tenant,
    public_key: keys.DevicePublicKey,
    purpose: str,
    challenge_id: str,
    signature: str,
    fields: Mapping[str, object],
) -> None:
    """Check the device's signature over this request and spend its nonce, or raise 401."""
    message = device_request_message(
        purpose=purpose, tenant_id=str(tenant.pk), challenge_id=challenge_id, fields=fields
    )
    if not keys.signature_is_valid(public_key.key, signature, message):
        raise ApplicationError("invalid_signature", "The signature is not valid.", status=401)
    now = timezone.now()
    spent = DeviceNonce.objects.filter(
        pk=challenge_id,
        tenant=tenant,
        fingerprint=public_key.fingerprint,
        purpose=purpose,
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if spent == 1:
        return
    nonce = DeviceNonce.objects.filter(pk=challenge_id, tenant=tenant).first()
    if nonce is None or nonce.fingerprint != public_key.fingerprint or nonce.purpose != purpose:
        raise ApplicationError(
            "invalid_challenge", f"Ask for a challenge for {purpose} with this key.", status=401
        )
    if nonce.used_at is not None:
        raise ApplicationError("challenge_used", "The challenge was already used.", status=401)
    raise ApplicationError("challenge_expired", "The challenge has expired.", status=401)


def time_window_signature_spend(*, public_key: keys.DevicePublicKey, signature: str) -> None:
    """Accept the official SDKs' removal signature (over the current ten-minute window) once."""
    if not keys.time_window_signature_is_valid(public_key.key, signature):
        raise ApplicationError("invalid_signature", "The signature is not valid.", status=401)
    digest = hashlib.sha256(f"{public_key.fingerprint}.{signature}".encode()).hexdigest()
    try:
        with transaction.atomic():
            SpentSignature.objects.create(
                digest=digest, expires_at=timezone.now() + TIME_WINDOW_SIGNATURE_TTL
            )
    except IntegrityError:
        raise ApplicationError(
            "signature_used", "This signature was already used; sign again.", status=401
        ) from None


def removal_verify(
    *,
    tenant: Tenant,
    public_key: keys.DevicePublicKey,
    purpose: str,
    signature: str,
    challenge_id: str | None,
    fields: Mapping[str, object],
) -> None:
    """A removal's proof: under a nonce (``challengeId``), or the SDKs' time-window form."""
    if challenge_id:
        device_request_verify(
            tenant=tenant,
            public_key=public_key,
            purpose=purpose,
            challenge_id=challenge_id,
            signature=signature,
            fields=fields,
        )
    else:
        time_window_signature_spend(public_key=public_key, signature=signature)


def device_proofs_purge() -> dict[str, int]:
    """Housekeeping: drop nonces and spent signatures past their expiry."""
    now = timezone.now()
    nonces, _ = DeviceNonce.objects.filter(expires_at__lt=now).delete()
    signatures, _ = SpentSignature.objects.filter(expires_at__lt=now).delete()
    return {"device_nonces": nonces, "spent_signatures": signatures}
