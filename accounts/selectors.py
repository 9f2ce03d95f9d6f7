"""Reads for tenants and end users."""

import uuid

from accounts.models import EndUser, SecretKey, Tenant
from accounts.services import SECRET_KEY_PREFIX, secret_key_hash


def tenant_get_by_secret_key(*, secret: str) -> Tenant | None:
    """The tenant owning an active secret key, or None.

    The lookup is by the key's hash, so timing reveals nothing about the key itself.
    """
    if not secret.startswith(SECRET_KEY_PREFIX) or len(secret) > 128:
        return None
    key = (
        SecretKey.objects.select_related("tenant")
        .filter(key_hash=secret_key_hash(secret), revoked_at__isnull=True)
        .first()
    )
    return key.tenant if key else None


def tenant_get(*, tenant_id: str) -> Tenant | None:
    """A tenant by its public id, or None for an unknown or malformed id."""
    try:
        return Tenant.objects.filter(pk=uuid.UUID(tenant_id)).first()
    except (ValueError, TypeError):
        return None


def user_get(*, tenant: Tenant, external_id: str) -> EndUser | None:
    """A user of ``tenant`` by the tenant's user id, or None."""
    return EndUser.objects.filter(tenant=tenant, external_id=external_id).first()
