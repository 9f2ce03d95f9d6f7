"""Verification attempts of an authenticator, through the one lockout protocol
(``devices.lockout``): refused while locked, a failure counted and audited, a success resetting
the count. Every verification method — device key, push, face, codes, TOTP, recovery codes —
goes through these. A bad device signature is audited but never counted (``signature_refusal``).
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from devices.events import authentication_failed
from devices.lockout import THROTTLE_FIELDS, attempt_failure, raise_if_locked
from devices.models import Authenticator
from recognize_project.errors import ApplicationError


def authenticator_failure(authenticator: Authenticator, code: str, what: str) -> ApplicationError:
    """Count and audit a failed attempt by ``authenticator`` (locked by the caller).

    Returns the error to raise once the caller's transaction has committed the count.
    """
    authenticator.throttle_increment()
    authentication_failed(authenticator, code)
    return attempt_failure(authenticator, code, what)


def signature_refusal(authenticator: Authenticator) -> ApplicationError:
    """Audit a signature that ``authenticator``'s key did not make, without counting it.

    Knowing a public key and the tenant id is enough to send a bad signature, so counting it
    would let anyone lock the device out; only an attempt that reached the device (its key
    signed, then the face or the number was wrong) counts toward the lockout. Returns the error
    to raise once the caller's transaction has committed the audit row.
    """
    authentication_failed(authenticator, "invalid_signature")
    return ApplicationError("invalid_signature", "The signature is not valid.", status=401)


def authenticator_attempt(
    *, authenticator_id: object, check: Callable[[Authenticator], bool], what: str
) -> Authenticator:
    """Run ``check`` on the locked authenticator and count the outcome.

    Raises ``authenticator_locked`` (429) while locked, and ``invalid_code`` (401, saying how
    many attempts are left) when ``check`` fails. A success resets the failures and stamps
    ``last_verified_at``. The row lock makes concurrent attempts count one by one, so a code
    that ``check`` spends can be spent once.
    """
    with transaction.atomic():
        authenticator = (
            Authenticator.objects.select_for_update()
            .select_related("tenant")
            .get(pk=authenticator_id)
        )
        raise_if_locked(authenticator)
        if check(authenticator):
            authenticator.throttle_reset(commit=False)
            authenticator.last_verified_at = timezone.now()
            authenticator.save(update_fields=[*THROTTLE_FIELDS, "last_verified_at"])
            return authenticator
        failure = authenticator_failure(authenticator, "invalid_code", what)
    raise failure
