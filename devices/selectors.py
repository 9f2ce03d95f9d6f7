"""Reads for devices and authenticators."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError

from accounts.models import EndUser, Tenant
from devices.models import Authenticator, Device, VerificationMethod
from recognize_project import sql

_IN_APP_AUTHENTICATOR = (
    f"SELECT {sql.columns(Authenticator, 'a')}, {sql.columns(Device, 'd')},"  # noqa: S608 (model columns)
    f" {sql.columns(EndUser, 'u')} FROM devices_authenticator a"
    " JOIN devices_device d ON d.id = a.device_id JOIN accounts_enduser u ON u.id = a.user_id"
    " WHERE d.tenant_id = %s AND d.public_key_fingerprint = %s AND a.tenant_id = d.tenant_id"
    " AND a.verification_method = %s"
    # Lets a prepared (generic) plan use the partial unique index on the fingerprint.
    " AND d.public_key_fingerprint <> ''"
    " ORDER BY a.created_at"
)


def authenticator_list(*, user: EndUser) -> QuerySet[Authenticator]:
    """A user's authenticators, oldest first."""
    return Authenticator.objects.filter(user=user).order_by("created_at")


def enrolled_methods(*, user: EndUser | None) -> list[str]:
    """The distinct verification methods a user has enrolled, in a stable order."""
    if user is None:
        return []
    return methods_in_order(
        Authenticator.objects.filter(user=user).values_list("verification_method", flat=True)
    )


_METHOD_ORDER = tuple(VerificationMethod.values)  # the enum builds this list on every access


def methods_in_order(methods: Iterable[str | None]) -> list[str]:
    """The distinct verification methods among ``methods``, in the stable order of the enum."""
    present = set(methods)
    return [m for m in _METHOD_ORDER if m in present]


def device_list(*, user: EndUser) -> QuerySet[Device]:
    """A user's devices with their authenticators, oldest first."""
    return (
        Device.objects.filter(user=user).prefetch_related("authenticators").order_by("created_at")
    )


def in_app_authenticator_get(
    *, tenant: Tenant, fingerprint: str, lock: bool = False
) -> Authenticator | None:
    """The IN_APP authenticator bound to the key with ``fingerprint``, with device and user.

    With ``lock`` (inside ``transaction.atomic()``) the authenticator's row stays locked until
    the transaction ends, so its lockout counters can be checked and changed safely. One query
    of plain SQL: it runs on every in-app verification.
    """
    if lock and not connection.in_atomic_block:
        raise TransactionManagementError("Locking the authenticator needs transaction.atomic().")
    query = f"{_IN_APP_AUTHENTICATOR}{sql.for_update_of('a')}" if lock else _IN_APP_AUTHENTICATOR
    row = sql.fetch_one(query, [tenant.pk, fingerprint, VerificationMethod.IN_APP.value])
    if row is None:
        return None
    authenticator, device, user = sql.instances_from_row(row, Authenticator, Device, EndUser)
    authenticator.device, authenticator.user, authenticator.tenant = device, user, tenant
    return authenticator


def push_authenticator_get(*, tenant: Tenant, fingerprint: str) -> Authenticator | None:
    """The PUSH authenticator of the install whose key has ``fingerprint``, with its device,
    user and tenant."""
    return (
        Authenticator.objects.select_related("device", "user", "tenant")
        .filter(
            tenant=tenant,
            verification_method=VerificationMethod.PUSH,
            device__public_key_fingerprint=fingerprint,
        )
        .first()
    )


#: Methods a user can verify with through the Client API today, in order of preference.
CHALLENGE_METHODS = [
    VerificationMethod.IN_APP,
    VerificationMethod.PASSKEY,
    VerificationMethod.SECURITY_KEY,
]


def allowed_methods(*, enrolled: list[str]) -> list[str]:
    """Methods offered for a challenge: the enrolled ones that can challenge, else enrollable."""
    usable = [m for m in CHALLENGE_METHODS if m in enrolled]
    return [str(m) for m in (usable or CHALLENGE_METHODS)]


def passkey_authenticator_find(
    *, tenant: Tenant, credential_ids: list[str]
) -> Authenticator | None:
    """The tenant's PASSKEY authenticator holding one of ``credential_ids``, with its passkey."""
    return (
        Authenticator.objects.select_related("passkey")
        .filter(tenant=tenant, passkey__credential_id__in=credential_ids)
        .first()
    )
