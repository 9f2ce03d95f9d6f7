"""TOTP (RFC 6238, as authenticator apps do it), using django-otp's ``oath.TOTP``.

The secret is sealed with the tenant's data key, bound to its authenticator. While the user
sets it up, the not-yet-confirmed secret travels in the session, sealed the same way; the
authenticator exists only once a first code proved the app has it. A code is accepted within
one step of drift, and never twice (the last accepted time step is kept).
"""

import base64
import os
from urllib.parse import quote, urlencode

from django.db import transaction
from django_otp.oath import TOTP

from accounts.encryption import SealError, seal, unseal
from accounts.models import EndUser
from devices.attempts import authenticator_attempt
from devices.events import authenticator_event
from devices.models import Authenticator, TotpKey, VerificationMethod
from recognize_project.errors import ApplicationError

SECRET_BYTES = 20
_SEALED_PURPOSE = "totp-secret"
_PENDING_PURPOSE = "totp-secret-pending"


def totp_secret_new() -> bytes:
    """A fresh 160-bit TOTP secret."""
    return os.urandom(SECRET_BYTES)


def totp_uri(*, user: EndUser, secret: bytes) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    issuer = user.tenant.name
    label = f"{issuer}:{user.email or user.display_name or user.external_id}"
    query = urlencode(
        {
            "secret": base64.b32encode(secret).decode().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": 6,
            "period": 30,
        }
    )
    return f"otpauth://totp/{quote(label)}?{query}"


def totp_pending_seal(*, user: EndUser, secret: bytes) -> str:
    """The secret, sealed for the session while the user confirms it."""
    blob = seal(
        tenant=user.tenant,
        plaintext=secret,
        purpose=_PENDING_PURPOSE,
        context=str(user.pk).encode(),
    )
    return base64.b64encode(blob).decode()


def totp_pending_open(*, user: EndUser, sealed: str) -> bytes | None:
    """The secret from :func:`totp_pending_seal`, or None if it does not open for ``user``."""
    try:
        return unseal(
            tenant=user.tenant,
            blob=base64.b64decode(sealed),
            purpose=_PENDING_PURPOSE,
            context=str(user.pk).encode(),
        )
    except (SealError, ValueError):
        return None


def _matched_step(secret: bytes, code: str, *, after: int) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(secret)
    return totp.t() if totp.verify(int(code), tolerance=1, min_t=after + 1) else None


def totp_enroll(*, user: EndUser, secret: bytes, code: str) -> Authenticator:
    """Make ``secret`` the user's TOTP once ``code`` shows their app has it.

    Replaces an earlier TOTP authenticator of the user.
    """
    step = _matched_step(secret, code, after=-1)
    if step is None:
        raise ApplicationError(
            "invalid_code", "That code does not match; check the time on your phone.", status=401
        )
    with transaction.atomic():
        Authenticator.objects.filter(
            user=user, verification_method=VerificationMethod.TOTP
        ).delete()
        authenticator = Authenticator.objects.create(
            tenant_id=user.tenant_id, user=user, verification_method=VerificationMethod.TOTP
        )
        sealed = seal(
            tenant=user.tenant,
            plaintext=secret,
            purpose=_SEALED_PURPOSE,
            context=authenticator.pk.bytes,
        )
        TotpKey.objects.create(
            authenticator=authenticator, sealed_secret=sealed, last_time_step=step
        )
        authenticator_event(authenticator, "authenticator.created")
    return authenticator


def totp_authenticator(*, user: EndUser) -> Authenticator | None:
    """The user's TOTP authenticator, or None."""
    return Authenticator.objects.filter(
        user=user, verification_method=VerificationMethod.TOTP
    ).first()


def totp_verify(*, user: EndUser, code: str) -> Authenticator:
    """Check a code from the user's authenticator app (counted toward the lockout)."""
    authenticator = totp_authenticator(user=user)
    if authenticator is None:
        raise ApplicationError("invalid_code", "Wrong code.", status=401)

    def check(locked: Authenticator) -> bool:
        key = TotpKey.objects.select_for_update().get(authenticator=locked)
        secret = unseal(
            tenant=locked.tenant,
            blob=bytes(key.sealed_secret),
            purpose=_SEALED_PURPOSE,
            context=locked.pk.bytes,
        )
        step = _matched_step(secret, code, after=key.last_time_step)
        if step is None:
            return False
        key.last_time_step = step
        key.save(update_fields=["last_time_step"])
        return True

    return authenticator_attempt(authenticator_id=authenticator.pk, check=check, what="Wrong code")
