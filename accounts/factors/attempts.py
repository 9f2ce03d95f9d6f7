"""What every first factor shares: keyed hashing of secrets and the locked check-and-count."""

import hashlib
import hmac
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from actions.services import attempt_failure, raise_if_locked
from devices.events import authentication_failed
from devices.models import Authenticator
from recognize_project import keys


def secret_hash(value: str) -> str:
    """The stored form of a code, link or recovery code: HMAC-SHA256 under a server key.

    Keyed, so a copy of the database alone does not allow guessing short codes offline.
    """
    key = keys.derive("recognize/first-factor-secrets/v1")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def attempt(
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
        tenant = authenticator.tenant
        if check(authenticator):
            authenticator.throttle_reset(commit=False)
            authenticator.last_verified_at = timezone.now()
            authenticator.save(
                update_fields=["failure_count", "lockout_count", "locked_until", "last_verified_at"]
            )
            return authenticator
        authenticator.throttle_increment(
            threshold=tenant.lockout_threshold, base_seconds=tenant.lockout_seconds
        )
        authentication_failed(authenticator, "invalid_code")
    raise attempt_failure(authenticator, "invalid_code", what)


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two hashes without leaking where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())
