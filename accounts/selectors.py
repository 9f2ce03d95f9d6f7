"""Reads for tenants and end users."""

import time
import uuid

from django.db import DEFAULT_DB_ALIAS

from accounts.encryption import unseal
from accounts.models import EndUser, SecretKey, Tenant
from accounts.phones import phone_number_normalize
from accounts.services import SECRET_KEY_PREFIX, SECRET_KEY_SEAL_PURPOSE, secret_key_hash
from recognize_project import sql
from recognize_project.notified_cache import NotifiedCache

#: How long a process may answer ``tenant_get_cached`` from memory.
TENANT_CACHE_SECONDS = 10.0

_TENANT_BY_SECRET_KEY_HASH = (
    f"SELECT {sql.columns(Tenant, 't')} FROM accounts_secretkey k"  # noqa: S608 (model columns)
    " JOIN accounts_tenant t ON t.id = k.tenant_id"
    " WHERE k.key_hash = %s AND k.revoked_at IS NULL"
)

#: Secret-key lookups (tenant rows, or None for no such active key), until a change is notified.
_key_lookups = NotifiedCache("recognize_auth")
_cached_tenants: dict[uuid.UUID, tuple[float, tuple]] = {}  # id → (expiry, field values)


def tenant_get_by_secret_key(*, secret: str) -> Tenant | None:
    """The tenant owning an active secret key, or None; a fresh instance each time.

    The lookup is by the key's hash, so timing reveals nothing about the key itself. On
    PostgreSQL the answer is remembered by the connection until any tenant or secret key
    changes (``recognize_project.notified_cache``), so a revoked key stops working at once in
    every process; elsewhere it is one indexed query per request.
    """
    if not secret.startswith(SECRET_KEY_PREFIX) or len(secret) > 128:
        return None
    key_hash = secret_key_hash(secret)
    row = _key_lookups.get_or_load(
        key_hash, lambda: sql.fetch_one(_TENANT_BY_SECRET_KEY_HASH, [key_hash])
    )
    return sql.instance_from_row(Tenant, row) if row else None


def _tenant_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


def tenant_get(*, tenant_id: str) -> Tenant | None:
    """A tenant by its public id, or None for an unknown or malformed id."""
    pk = _tenant_id(tenant_id)
    return None if pk is None else Tenant.objects.filter(pk=pk).first()


def tenant_get_cached(*, tenant_id: str) -> Tenant | None:
    """``tenant_get``, answered from this process's memory for up to ``TENANT_CACHE_SECONDS``.

    For requests authenticated by an action token, which the server signed and which names its
    tenant: no secret is checked here, only the tenant's settings are read. They may therefore
    be that much stale: a change to a tenant's lockout policy or token lifetime reaches these
    requests within ``TENANT_CACHE_SECONDS``, and a deleted tenant's tokens still authenticate
    that long (its actions, devices and challenges are gone, so they find nothing). Each call
    returns a fresh instance, so callers may change it freely.
    """
    pk = _tenant_id(tenant_id)
    if pk is None:
        return None
    now = time.monotonic()
    cached = _cached_tenants.get(pk)
    if cached is not None and cached[0] > now:
        return Tenant.from_db(DEFAULT_DB_ALIAS, None, cached[1])
    tenant = Tenant.objects.filter(pk=pk).first()
    if tenant is not None:
        values = tuple(getattr(tenant, f.attname) for f in Tenant._meta.concrete_fields)
        _cached_tenants[pk] = (now + TENANT_CACHE_SECONDS, values)
    return tenant


def user_get(*, tenant: Tenant, external_id: str) -> EndUser | None:
    """A user of ``tenant`` by the tenant's user id, or None."""
    return EndUser.objects.filter(tenant=tenant, external_id=external_id).first()


def user_by_address(*, tenant: Tenant, email: str = "", phone_number: str = "") -> EndUser | None:
    """The one user of ``tenant`` with this e-mail (any case) or phone number (E.164), else None.

    None too when several users share the address: a code must reach exactly one account.
    """
    if email:
        users = EndUser.objects.filter(tenant=tenant, email__iexact=email.strip())
    elif phone_number:
        users = EndUser.objects.filter(tenant=tenant, phone_number_e164=phone_number.strip())
    else:
        return None
    found = list(users[:2])
    return found[0] if len(found) == 1 else None


#: Users ``user_query`` returns when the caller names no limit, and the most it returns at once.
USER_QUERY_DEFAULT_LIMIT = 100
USER_QUERY_MAX_LIMIT = 1000


def user_query(
    *,
    tenant: Tenant,
    username: str = "",
    email: str = "",
    phone_number: str = "",
    external_id: str | None = None,
    limit: int = USER_QUERY_DEFAULT_LIMIT,
    after: str = "",
) -> tuple[list[EndUser], str | None]:
    """Users of ``tenant`` matching every filter given (e-mail in any case), in ``userId``
    order, at most ``limit`` of them after the ``userId`` ``after``; and the last ``userId``
    returned when more follow (the cursor for the next page), else None."""
    users = EndUser.objects.filter(tenant=tenant)
    if username:
        users = users.filter(username=username)
    if email:
        users = users.filter(email__iexact=email.strip())
    if phone_number:  # matched in E.164, as every lookup by number is (accounts.phones)
        users = users.filter(phone_number_e164=phone_number_normalize(phone_number, tenant=tenant))
    if external_id is not None:
        users = users.filter(external_id=external_id)
    if after:
        users = users.filter(external_id__gt=after)
    page = list(users.order_by("external_id")[: limit + 1])
    if len(page) > limit:
        return page[:limit], page[limit - 1].external_id
    return page, None


def secret_keys_for_signing(*, tenant: Tenant) -> list[str]:
    """The tenant's active secret keys that are kept sealed, newest first, in the clear: what
    webhooks are signed with. Empty when every active key predates sealing."""
    rows = SecretKey.objects.filter(tenant=tenant, revoked_at__isnull=True).exclude(
        sealed_secret=b""
    )
    return [
        unseal(
            tenant=tenant,
            blob=bytes(row.sealed_secret),
            purpose=SECRET_KEY_SEAL_PURPOSE,
            context=row.key_hash.encode(),
        ).decode()
        for row in rows.order_by("-created_at")
    ]


def tenant_list(*, limit: int) -> list[Tenant]:
    """Tenants by name, for the portal's front door."""
    return list(Tenant.objects.order_by("name", "created_at")[:limit])
