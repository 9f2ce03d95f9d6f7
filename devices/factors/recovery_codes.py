"""Recovery codes: ten codes of 80 random bits each, shown once, stored as HMACs.

Each works once. Generating a new set retires the old one. Wrong codes count toward the
lockout of the user's recovery-code authenticator like any other factor.
"""

import base64
import os

from django.db import transaction
from django.utils import timezone

from accounts.models import EndUser
from devices.attempts import authenticator_attempt
from devices.events import authenticator_event
from devices.factors.secrets import secret_hash
from devices.models import Authenticator, RecoveryCode, VerificationMethod
from recognize_project.errors import ApplicationError

CODE_COUNT = 10
CODE_BYTES = 10  # 80 bits → 16 base32 characters


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _formatted(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def recovery_codes_generate(*, user: EndUser) -> list[str]:
    """A new set of codes for ``user``, replacing any earlier set; the codes are not kept."""
    codes = [base64.b32encode(os.urandom(CODE_BYTES)).decode() for _ in range(CODE_COUNT)]
    with transaction.atomic():
        authenticator, created = Authenticator.objects.get_or_create(
            tenant_id=user.tenant_id,
            user=user,
            verification_method=VerificationMethod.RECOVERY_CODE,
        )
        if created:
            authenticator_event(authenticator, "authenticator.created")
        authenticator.recovery_codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(authenticator=authenticator, code_hash=secret_hash(code)) for code in codes
        )
    return [_formatted(code) for code in codes]


def recovery_codes_remaining(*, user: EndUser) -> int:
    """How many unused recovery codes ``user`` has."""
    return RecoveryCode.objects.filter(authenticator__user=user, used_at__isnull=True).count()


def recovery_code_use(*, user: EndUser, code: str) -> Authenticator:
    """Spend one of the user's recovery codes (counted toward the lockout when wrong)."""
    authenticator = Authenticator.objects.filter(
        user=user, verification_method=VerificationMethod.RECOVERY_CODE
    ).first()
    if authenticator is None:
        raise ApplicationError("invalid_code", "Wrong or used recovery code.", status=401)
    digest = secret_hash(_normalized(code))

    def check(locked: Authenticator) -> bool:
        spent = RecoveryCode.objects.filter(
            authenticator=locked, code_hash=digest, used_at__isnull=True
        ).update(used_at=timezone.now())
        return spent == 1

    return authenticator_attempt(
        authenticator_id=authenticator.pk, check=check, what="Wrong or used recovery code"
    )
