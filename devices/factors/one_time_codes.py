"""Codes sent by e-mail (with a magic link beside the code) or SMS.

A code is six digits, a link carries 256 random bits; both are stored as HMACs, valid for ten
minutes, single use. A code belongs to one ``attempt`` (a sign-in in progress, or "" for a
signed-in user's re-authentication): only the newest code of an attempt counts, and a new
attempt — someone else starting a sign-in with the same address — never replaces another's.
Wrong codes count toward the authenticator's lockout (``devices.lockout``; first factors lock
after the account-wide limit, their callers throttle each attempt source before that); a resend
neither resets that count nor works while the authenticator is locked, and at most
``MAX_SENDS`` go out per ``SEND_WINDOW``.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import EndUser
from devices.attempts import authenticator_attempt
from devices.events import authenticator_event
from devices.factors.secrets import constant_time_equal, secret_hash
from devices.lockout import raise_if_locked
from devices.models import Authenticator, CodeChannel, CodePurpose, OneTimeCode, VerificationMethod
from devices.tasks import one_time_code_deliver
from recognize_project.errors import ApplicationError
from recognize_project.notifications import notify_after_commit
from recognize_project.task_payloads import CODE_DELIVERY, payload_seal

CODE_TTL = timedelta(minutes=10)
SEND_WINDOW = timedelta(minutes=15)
MAX_SENDS = 5
_METHOD = {
    CodeChannel.EMAIL: VerificationMethod.EMAIL_OTP,
    CodeChannel.SMS: VerificationMethod.SMS_OTP,
}


def _address(user: EndUser, channel: str) -> dict[str, str] | None:
    """The authenticator field and value of the user's address for ``channel``, if any."""
    if channel == CodeChannel.EMAIL:
        return {"email": user.email} if user.email else None
    return {"phone_number": user.phone_number_e164} if user.phone_number_e164 else None


def channel_authenticator(*, user: EndUser, channel: str) -> Authenticator | None:
    """The user's e-mail or SMS authenticator for the address the tenant has on record.

    Created when the first code is sent: the tenant vouches for the address by storing it
    on the user. None when the user has no such address.
    """
    address = _address(user, channel)
    if address is None:
        return None
    authenticator, created = Authenticator.objects.get_or_create(
        tenant_id=user.tenant_id, user=user, verification_method=_METHOD[channel], **address
    )
    if created:
        authenticator_event(authenticator, "authenticator.created")
    return authenticator


def code_send(
    *,
    user: EndUser,
    channel: str,
    purpose: str,
    with_link: bool,
    attempt: str = "",
    authenticator: Authenticator | None = None,
) -> OneTimeCode:
    """Send ``user`` a new code (and link), superseding the older ones of ``attempt``.

    The code goes to ``authenticator``'s address, by default the user's e-mail or SMS
    authenticator for the address on record (``channel_authenticator``). The code and link go,
    sealed, to the delivery task once the row is committed, and are forgotten here. Raises
    when the authenticator is locked or was sent to too often.
    """
    if authenticator is None:
        authenticator = channel_authenticator(user=user, channel=channel)
    if authenticator is None:
        raise ApplicationError("no_address", "The user has no address for that channel.")
    raise_if_locked(authenticator)
    now = timezone.now()
    recent = OneTimeCode.objects.filter(
        authenticator=authenticator, created_at__gt=now - SEND_WINDOW
    ).count()
    if recent >= MAX_SENDS:
        raise ApplicationError(
            "too_many_codes",
            "Too many codes were sent recently. Wait a few minutes, then ask again.",
            status=429,
        )
    code = f"{secrets.randbelow(10**6):06d}"
    link = secrets.token_urlsafe(32) if with_link else ""
    with transaction.atomic():
        OneTimeCode.objects.filter(
            authenticator=authenticator, purpose=purpose, attempt=attempt, used_at__isnull=True
        ).update(used_at=now)
        row = OneTimeCode.objects.create(
            tenant_id=user.tenant_id,
            user=user,
            authenticator=authenticator,
            channel=channel,
            purpose=purpose,
            attempt=attempt,
            code_hash=secret_hash(code),
            link_hash=secret_hash(link) if link else "",
            expires_at=now + CODE_TTL,
        )
        payload = payload_seal(
            CODE_DELIVERY, row.pk, {"code": code.encode(), "link": link.encode()}
        )
        notify_after_commit(one_time_code_deliver, str(row.pk), payload)
    return row


def _channel_authenticator_get(user: EndUser, channel: str) -> Authenticator | None:
    """The user's authenticator for ``channel``, never created here (sending creates it)."""
    address = _address(user, channel)
    if address is None:
        return None
    return Authenticator.objects.filter(
        user=user, verification_method=_METHOD[channel], **address
    ).first()


def code_verify(
    *, user: EndUser, channel: str, purpose: str, code: str, attempt: str = ""
) -> Authenticator:
    """Spend the newest code of ``purpose`` and ``attempt`` sent to ``user`` if ``code``
    matches it."""
    authenticator = _channel_authenticator_get(user, channel)
    if authenticator is None:
        raise ApplicationError("invalid_code", "Wrong or used code.", status=401)
    digest = secret_hash(code.strip().replace(" ", ""))

    def check(locked: Authenticator) -> bool:
        now = timezone.now()
        newest = (
            OneTimeCode.objects.filter(authenticator=locked, purpose=purpose, attempt=attempt)
            .order_by("-created_at")
            .first()
        )
        if newest is None or newest.used_at is not None:
            return False
        if not constant_time_equal(newest.code_hash, digest):
            return False
        if newest.expires_at <= now:  # the right code, too late: not a guess, not counted
            raise ApplicationError(
                "code_expired", "This code has expired. Ask for a new one.", status=401
            )
        spent = OneTimeCode.objects.filter(pk=newest.pk, used_at__isnull=True).update(used_at=now)
        return spent == 1

    return authenticator_attempt(
        authenticator_id=authenticator.pk, check=check, what="Wrong or used code"
    )


def code_attempt_void(*, user: EndUser, channel: str, purpose: str, attempt: str) -> None:
    """Spend what is left of ``attempt``'s codes (its caller saw too many wrong ones)."""
    authenticator = _channel_authenticator_get(user, channel)
    if authenticator is not None:
        OneTimeCode.objects.filter(
            authenticator=authenticator, purpose=purpose, attempt=attempt, used_at__isnull=True
        ).update(used_at=timezone.now())


def magic_link_get(*, token: str) -> OneTimeCode | None:
    """The sign-in code a magic link belongs to, spent or not; None for an unknown link."""
    if not token or len(token) > 100:
        return None
    return (
        OneTimeCode.objects.select_related("user", "tenant", "authenticator")
        .filter(link_hash=secret_hash(token), purpose=CodePurpose.SIGN_IN)
        .first()
    )


def magic_link_use(*, token: str) -> OneTimeCode:
    """Spend a magic link (one conditional UPDATE: of two concurrent uses, one wins)."""
    row = magic_link_get(token=token)
    if row is None:
        raise ApplicationError("invalid_link", "This sign-in link is not valid.", status=400)
    now = timezone.now()
    if row.expires_at <= now:
        raise ApplicationError("link_expired", "This sign-in link has expired.", status=400)
    raise_if_locked(row.authenticator)
    spent = OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    if not spent:
        raise ApplicationError(
            "link_used", "This sign-in link was already used or replaced.", status=400
        )
    Authenticator.objects.filter(pk=row.authenticator_id).update(last_verified_at=now)
    return row
