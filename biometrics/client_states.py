"""Client states: opaque, sealed blobs that let a user restore their face on a new device.

A client state is a Device row of type BACKUP (the tenant stores the blob for a later
recovery; reusable) or TEMPORARY (for the current flow only: single use, 10 minutes). The
blob is ``format version ‖ sealed payload``, base64url. The payload carries what a new device
needs to compute a probe comparable with the enrolled template (the enrollment's seed) and the
ids it is bound to: user, device and template. It is sealed with the tenant's data key
(``accounts.encryption``, AES-GCM, key id inside), so it opens only on this server, for this
tenant, and any change to it is detected. The ids live inside the authenticated payload
rather than only in the associated data, so that a state whose device was deleted can still
be told apart from a forged one. The server keeps only the blob's SHA-256 on the Device row:
deleting the row revokes the state at once, and a re-enrollment (new template id) makes every
older state stale.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import encryption
from accounts.models import EndUser, Tenant
from actions import selectors as action_selectors
from actions.challenges import device_proof_check
from actions.tokens import (
    ADD_AUTHENTICATORS,
    ActionToken,
    token_consume,
    token_require_unspent,
    token_user,
)
from biometrics.models import FaceTemplate
from devices.models import Device, DeviceType, VerificationMethod
from recognize_project.errors import ApplicationError
from recognize_project.fields import DEVICE_NAME_MAX, display_text_clean

FORMAT_VERSION = 1
PAYLOAD_VERSION = 1
PURPOSE = "client-state"
SEED_BYTES = 32
MAX_BACKUP_PER_USER = 50
TEMPORARY_TTL_SECONDS = 600
CLIENT_STATE_TYPES = (DeviceType.BACKUP, DeviceType.TEMPORARY)
#: Longest blob accepted (a real one is about 260 characters).
MAX_BLOB_CHARS = 2048


def _invalid() -> ApplicationError:
    return ApplicationError(
        "invalid_client_state",
        "The client state is not valid: damaged, altered, or issued by another tenant.",
    )


def _revoked() -> ApplicationError:
    return ApplicationError(
        "client_state_revoked",
        "The client state was deleted or, if temporary, already used.",
        status=404,
    )


def _stale() -> ApplicationError:
    return ApplicationError(
        "client_state_stale",
        "The client state belongs to a face enrollment that was replaced; create a new one.",
        status=409,
    )


def _expired() -> ApplicationError:
    return ApplicationError("client_state_expired", "The temporary client state has expired.")


@dataclass(frozen=True)
class ClientState:
    """An opened, checked client state: its Device row, user, current template and seed."""

    device: Device
    user: EndUser
    template: FaceTemplate
    seed: bytes
    type: str


def client_state_expires_at(*, device: Device) -> datetime | None:
    """When a TEMPORARY client state stops opening; None for a BACKUP one."""
    if device.type != DeviceType.TEMPORARY:
        return None
    return device.created_at + timedelta(seconds=TEMPORARY_TTL_SECONDS)


def _blob_hash(blob: str) -> str:
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def face_template_current(*, user: EndUser) -> FaceTemplate | None:
    """The user's current face template (of their FACE authenticator), if they enrolled one."""
    return (
        FaceTemplate.objects.select_related("tenant", "authenticator")
        .filter(user=user, authenticator__verification_method=VerificationMethod.FACE)
        .first()
    )


@transaction.atomic
def client_state_create(
    *, user: EndUser, template: FaceTemplate, seed: bytes, type: str, name: str = ""
) -> tuple[Device, str]:
    """Create a client state of ``type`` for ``user``'s ``template`` enrolled under ``seed``.

    Returns the new Device row and the blob, which is given to the caller once and never
    stored. A user may hold at most ``MAX_BACKUP_PER_USER`` BACKUP states.
    """
    if type not in CLIENT_STATE_TYPES:
        raise ApplicationError("invalid_request", "type must be BACKUP or TEMPORARY.")
    if template.user_id != user.pk:
        raise ApplicationError("invalid_request", "The template is another user's.")
    if len(seed) != SEED_BYTES:
        raise ApplicationError("invalid_seed", f"seed must be {SEED_BYTES} bytes.")
    EndUser.objects.select_for_update().filter(pk=user.pk).first()  # serialises the count
    if (
        type == DeviceType.BACKUP
        and Device.objects.filter(user=user, type=DeviceType.BACKUP).count() >= MAX_BACKUP_PER_USER
    ):
        raise ApplicationError(
            "too_many_client_states",
            f"A user may have at most {MAX_BACKUP_PER_USER} backup client states; "
            "delete one first.",
            status=409,
        )
    device = Device.objects.create(
        tenant=user.tenant,
        user=user,
        type=type,
        name=display_text_clean(name, DEVICE_NAME_MAX) or f"{type.title()} state",
    )
    payload = {
        "v": PAYLOAD_VERSION,
        "type": type,
        "user": str(user.pk),
        "device": str(device.pk),
        "template": str(template.pk),
        "seed": base64.b64encode(seed).decode("ascii"),
        "createdAt": int(device.created_at.timestamp()),
    }
    sealed = encryption.seal(
        tenant=user.tenant,
        plaintext=json.dumps(payload, separators=(",", ":")).encode(),
        purpose=PURPOSE,
    )
    blob = _b64url(bytes([FORMAT_VERSION]) + sealed)
    device.client_state_hash = _blob_hash(blob)
    device.save(update_fields=["client_state_hash"])
    return device, blob


def _payload(*, tenant: Tenant, blob: str) -> dict:
    """Decode and unseal a blob; anything malformed, altered or foreign is invalid."""
    if not isinstance(blob, str) or not blob or len(blob) > MAX_BLOB_CHARS:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if len(raw) < 2 or raw[0] != FORMAT_VERSION:
        raise _invalid()
    try:
        payload = json.loads(encryption.unseal(tenant=tenant, blob=raw[1:], purpose=PURPOSE))
    except (encryption.SealError, ValueError):
        raise _invalid() from None
    if not isinstance(payload, dict) or payload.get("v") != PAYLOAD_VERSION:
        raise _invalid()
    return payload


def client_state_open(*, tenant: Tenant, blob: str) -> ClientState:
    """Open a client state of ``tenant`` and check it may still be used.

    Raises ``invalid_client_state`` (altered, malformed, another tenant's),
    ``client_state_revoked`` (its device was deleted, or a temporary one was used),
    ``client_state_expired`` (temporary, older than 10 minutes) or ``client_state_stale``
    (the user's face was enrolled again since).
    """
    payload = _payload(tenant=tenant, blob=blob)
    try:
        seed = base64.b64decode(payload["seed"], validate=True)
        device_id, template_id = payload["device"], payload["template"]
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise _invalid() from None
    device = (
        Device.objects.select_related("user__tenant")
        .filter(tenant=tenant, pk=device_id, type__in=CLIENT_STATE_TYPES)
        .first()
    )
    if device is None:
        raise _revoked()
    if (
        not hmac.compare_digest(device.client_state_hash, _blob_hash(blob))
        or str(device.user_id) != payload.get("user")
        or device.type != payload.get("type")
    ):
        raise _invalid()
    expires_at = client_state_expires_at(device=device)
    if expires_at is not None and timezone.now() >= expires_at:
        raise _expired()
    template = face_template_current(user=device.user)
    if template is None or str(template.pk) != template_id:
        raise _stale()
    return ClientState(
        device=device,
        user=device.user,
        template=template,
        seed=seed,
        type=device.type,
    )


def client_state_issue(
    *,
    tenant: Tenant,
    token: ActionToken,
    type: str,
    seed: bytes,
    challenge_id: str,
    public_key: str,
    signature: str,
) -> tuple[Device, str]:
    """Create a client state at the request of the token user's bound device.

    The device proves itself by signing the challenge and the seed; the token must grant
    ``add:authenticators`` and is spent. The user must have a face enrolled.
    """
    user = token_user(tenant=tenant, token=token, scope=ADD_AUTHENTICATORS)
    action = action_selectors.action_get(tenant=tenant, idempotency_key=token.idempotency_key)
    token_require_unspent(jti=token.jti)
    template = face_template_current(user=user)
    if template is None:
        raise ApplicationError(
            "face_not_enrolled", "A client state needs an enrolled face; enroll first."
        )
    with transaction.atomic():
        proof = device_proof_check(
            tenant=tenant,
            challenge_id=challenge_id,
            public_key=public_key,
            signature=signature,
            content=seed,
        )
        if proof.failure is None:
            if proof.authenticator.user_id != user.pk:
                raise ApplicationError(
                    "token_mismatch", "The device is another user's.", status=403
                )
            action_id = proof.challenge.action_id
            if action_id is not None and action_id != action.pk:
                raise ApplicationError(
                    "token_mismatch", "The challenge is for another action.", status=403
                )
            token_consume(jti=token.jti, expires_at=token.expires_at)
            result = client_state_create(user=user, template=template, seed=seed, type=type)
    if proof.failure is not None:
        raise proof.failure
    return result
