"""Reads for devices and authenticators."""

from django.db.models import QuerySet

from accounts.models import EndUser, Tenant
from devices.models import Authenticator, Device, VerificationMethod


def authenticator_list(*, user: EndUser) -> QuerySet[Authenticator]:
    """A user's authenticators, oldest first."""
    return Authenticator.objects.filter(user=user).order_by("created_at")


def enrolled_methods(*, user: EndUser | None) -> list[str]:
    """The distinct verification methods a user has enrolled, in a stable order."""
    if user is None:
        return []
    methods = set(
        Authenticator.objects.filter(user=user).values_list("verification_method", flat=True)
    )
    return [m for m in VerificationMethod.values if m in methods]


def device_list(*, user: EndUser) -> QuerySet[Device]:
    """A user's devices with their authenticators, oldest first."""
    return (
        Device.objects.filter(user=user).prefetch_related("authenticators").order_by("created_at")
    )


def in_app_authenticator_get(*, tenant: Tenant, fingerprint: str) -> Authenticator | None:
    """The IN_APP authenticator bound to the key with ``fingerprint``, with device and user."""
    return (
        Authenticator.objects.select_related("device", "user")
        .filter(
            tenant=tenant,
            verification_method=VerificationMethod.IN_APP,
            device__public_key_fingerprint=fingerprint,
        )
        .first()
    )


#: Methods a user can verify with through the Client API today, in order of preference.
CHALLENGE_METHODS = [VerificationMethod.IN_APP]


def allowed_methods(*, enrolled: list[str]) -> list[str]:
    """Methods offered for a challenge: the enrolled ones that can challenge, else enrollable."""
    usable = [m for m in CHALLENGE_METHODS if m in enrolled]
    return [str(m) for m in (usable or CHALLENGE_METHODS)]
