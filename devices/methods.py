"""Verification-method names on the wire: Authsignal's spelling out, either spelling in.

Recognize's own names (``devices.models.VerificationMethod``) stay inside the server; the API
speaks Authsignal's enum (@authsignal/node src/types.ts ``VerificationMethod``), where SMS codes
are ``SMS`` and authenticator apps ``AUTHENTICATOR_APP``. Methods Authsignal has no name for
(``IN_APP``, ``FACE``) keep ours. Input accepts both spellings, so older callers keep working.
"""

from collections.abc import Iterable

from devices.models import VerificationMethod

_TO_WIRE = {
    VerificationMethod.SMS_OTP.value: "SMS",
    VerificationMethod.TOTP.value: "AUTHENTICATOR_APP",
}
_FROM_WIRE = {wire: ours for ours, wire in _TO_WIRE.items()}

#: Every name the API accepts for a method: Authsignal's spelling first, then ours.
WIRE_CHOICES = sorted(set(_FROM_WIRE) | set(VerificationMethod.values))


def method_to_wire(method: str | None) -> str | None:
    """Our method name as the API shows it (None and "" stay None)."""
    if not method:
        return None
    return _TO_WIRE.get(str(method), str(method))


def methods_to_wire(methods: Iterable[str]) -> list[str]:
    """``method_to_wire`` of each of ``methods``, in order."""
    return [_TO_WIRE.get(str(m), str(m)) for m in methods]


def method_from_wire(value: str) -> str:
    """A method name sent to the API (either spelling) as ours; unknown names pass through for
    the caller's own check."""
    return _FROM_WIRE.get(value, value)
