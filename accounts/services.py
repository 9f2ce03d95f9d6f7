"""Writes for tenants, secret keys and end users."""

import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.encryption import seal
from accounts.models import EndUser, SecretKey, Tenant
from accounts.phones import phone_number_normalize
from accounts.signals import account_changed

SECRET_KEY_PREFIX = "rk_"
#: ``seal`` purpose of a secret key kept to sign webhooks (context: the key's hash).
SECRET_KEY_SEAL_PURPOSE = "api-secret-key"
USER_FIELDS = (
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "username",
    "display_name",
    "locale",
    "custom",
)
#: What a field is set to when the caller sends null for it.
_CLEARED = {"custom": dict, "email_verified": bool, "phone_number_verified": bool}


def secret_key_hash(secret: str) -> str:
    """The stored form of a secret key (keys carry 256 random bits, so SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_key_create(*, tenant: Tenant) -> tuple[SecretKey, str]:
    """Create a key for ``tenant``; returns the row and the key, which is stored only hashed
    (to authenticate) and sealed (to sign webhooks)."""
    secret = SECRET_KEY_PREFIX + secrets.token_urlsafe(32)
    key_hash = secret_key_hash(secret)
    with transaction.atomic():
        sealed = seal(
            tenant=tenant,
            plaintext=secret.encode(),
            purpose=SECRET_KEY_SEAL_PURPOSE,
            context=key_hash.encode(),
        )
        key = SecretKey.objects.create(
            tenant=tenant, prefix=secret[:10], key_hash=key_hash, sealed_secret=sealed
        )
        _key_event(tenant, "secret_key.created", key)
    return key, secret


def _key_event(tenant: Tenant, event_type: str, key: SecretKey) -> None:
    account_changed.send(
        sender=SecretKey, tenant=tenant, event_type=event_type, detail={"prefix": key.prefix}
    )


@transaction.atomic
def secret_key_revoke(*, key: SecretKey) -> None:
    """Revoke a key at once."""
    revoked = SecretKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        _key_event(key.tenant, "secret_key.revoked", key)


@transaction.atomic
def secret_key_rotate(*, tenant: Tenant) -> tuple[SecretKey, str]:
    """Create a new key and revoke every other key of ``tenant``."""
    for key in SecretKey.objects.filter(tenant=tenant, revoked_at__isnull=True):
        secret_key_revoke(key=key)
    return secret_key_create(tenant=tenant)


@transaction.atomic
def tenant_create(*, name: str) -> tuple[Tenant, str]:
    """Create a tenant with one secret key; returns the tenant and the key."""
    tenant = Tenant.objects.create(name=name)
    _, secret = secret_key_create(tenant=tenant)
    return tenant, secret


@transaction.atomic
def tenant_face_settings_update(
    *,
    tenant: Tenant,
    liveness_level: str | None = None,
    face_match_threshold: float | None = None,
    reset_face_match_threshold: bool = False,
) -> Tenant:
    """Change a tenant's liveness level and/or face match threshold (``reset...`` to the default).

    Values are validated by the caller (the API's serializer, the admin's form); the change is
    recorded as the event ``tenant.settings_updated`` with the new values.
    """
    changed: dict[str, Any] = {}
    if liveness_level is not None and liveness_level != tenant.liveness_level:
        tenant.liveness_level = liveness_level
        changed["liveness_level"] = liveness_level
    if reset_face_match_threshold:
        face_match_threshold = None
    if (
        face_match_threshold is not None or reset_face_match_threshold
    ) and face_match_threshold != tenant.face_match_threshold:
        tenant.face_match_threshold = face_match_threshold
        changed["face_match_threshold"] = face_match_threshold
    if changed:
        tenant.save(update_fields=list(changed))
        account_changed.send(
            sender=Tenant, tenant=tenant, event_type="tenant.settings_updated", detail=changed
        )
    return tenant


def user_get_or_create(*, tenant: Tenant, external_id: str, **attrs: Any) -> EndUser:
    """The user ``external_id`` of ``tenant``, created on first sight with ``attrs``."""
    defaults = {k: v for k, v in attrs.items() if k in USER_FIELDS and v is not None}
    if "phone_number" in defaults:
        defaults["phone_number_e164"] = phone_number_normalize(
            defaults["phone_number"], tenant=tenant
        )
    try:
        user, _ = EndUser.objects.get_or_create(
            tenant=tenant, external_id=external_id, defaults=defaults
        )
    except IntegrityError:  # created concurrently by another request
        user = EndUser.objects.get(tenant=tenant, external_id=external_id)
    return user


@transaction.atomic
def user_update(*, tenant: Tenant, external_id: str, data: dict[str, Any]) -> EndUser:
    """Set the given profile fields of a user, creating the user if needed."""
    e164 = (
        phone_number_normalize(data["phone_number"], tenant=tenant)
        if "phone_number" in data
        else None
    )
    user = user_get_or_create(tenant=tenant, external_id=external_id)
    changed = [field for field in USER_FIELDS if field in data]
    for field in changed:
        value = data[field]
        setattr(user, field, value if value is not None else _CLEARED.get(field, str)())
    if e164 is not None:
        user.phone_number_e164 = e164
        changed.append("phone_number_e164")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


def user_delete(*, tenant: Tenant, external_id: str) -> bool:
    """Delete a user with everything bound to them; False when there was no such user."""
    deleted, _ = EndUser.objects.filter(tenant=tenant, external_id=external_id).delete()
    return deleted > 0
