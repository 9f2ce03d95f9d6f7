"""Challenges by e-mail, SMS or WhatsApp code that the tenant's backend starts (Authsignal's
server-side ``challenge`` / ``verify`` / ``getChallenge``).

Built on ``devices.factors.one_time_codes``: a challenge is a code of purpose ``CHALLENGE``
sent by ``code_send`` (six digits, HMAC stored, ten minutes, resend limits; each challenge its
own attempt, so a new one never replaces another) to an e-mail or SMS authenticator of the
user, plus the ``CodeChallenge`` row naming it. Checking a code goes through the one lockout
protocol (``devices.attempts.authenticator_attempt``): wrong codes count on the
authenticator, a locked one refuses, and the code is spent by one conditional UPDATE, so of
two concurrent right answers one wins. As the portal's sign-in does, each challenge is an
attempt source throttled first: after the tenant's ``lockout_threshold`` wrong answers its
code dies (``challenge_attempts_exceeded``), well before the account-wide limit of a first
factor locks the address itself. Nothing here knows which API
asked, so the client API can expose the same challenges.
"""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import EndUser, Tenant
from accounts.phones import phone_number_normalize
from accounts.selectors import user_get
from accounts.services import user_get_or_create
from devices.attempts import authenticator_attempt
from devices.events import authenticator_event
from devices.factors.one_time_codes import code_send
from devices.factors.secrets import constant_time_equal, secret_hash
from devices.models import (
    Authenticator,
    CodeChallenge,
    CodeChannel,
    CodePurpose,
    OneTimeCode,
    VerificationMethod,
)
from recognize_project.errors import ApplicationError

#: The channels a challenge may use, and the authenticator each counts on.
CHANNEL_METHOD = {
    CodeChannel.EMAIL: VerificationMethod.EMAIL_OTP,
    CodeChannel.SMS: VerificationMethod.SMS_OTP,
    CodeChannel.WHATSAPP: VerificationMethod.SMS_OTP,
}


def _challenge_authenticator(*, user: EndUser, channel: str, address: str) -> Authenticator:
    """The user's e-mail or SMS authenticator for ``address``, created on first use (the
    tenant's backend vouches for the address by naming it, as with ``channel_authenticator``)."""
    field = "email" if channel == CodeChannel.EMAIL else "phone_number"
    authenticator, created = Authenticator.objects.get_or_create(
        tenant_id=user.tenant_id,
        user=user,
        verification_method=CHANNEL_METHOD[channel],
        **{field: address},
    )
    if created:
        authenticator_event(authenticator, "authenticator.created")
    return authenticator


def code_challenge_start(
    *,
    tenant: Tenant,
    user_id: str,
    channel: str,
    address: str = "",
    action_code: str = "",
    idempotency_key: uuid.UUID | None = None,
    context: dict[str, Any] | None = None,
) -> CodeChallenge:
    """Send the user ``user_id`` of ``tenant`` (created on first sight) a code by ``channel`` to
    ``address`` (default: the one on record).

    Raises ``no_address`` (400) without an address, ``authenticator_locked`` (429) while the
    authenticator is locked and ``too_many_codes`` (429) after too many sends; nothing is
    written then.
    """
    if channel not in CHANNEL_METHOD:
        raise ApplicationError("invalid_verification_method", "Unknown challenge channel.")
    known = user_get(tenant=tenant, external_id=user_id)
    if channel == CodeChannel.EMAIL:
        address = (address or (known.email if known else "")).strip()
    else:  # codes go to the E.164 form (accounts.phones), as the portal's do
        address = phone_number_normalize(address, tenant=tenant) or (
            known.phone_number_e164 if known else ""
        )
    if not address:
        raise ApplicationError("no_address", "The user has no address for that channel.")
    challenge_id = uuid.uuid4()
    with transaction.atomic():
        user = known or user_get_or_create(tenant=tenant, external_id=user_id)
        authenticator = _challenge_authenticator(user=user, channel=channel, address=address)
        code = code_send(  # each challenge is its own attempt: a new one never replaces it
            user=user,
            channel=channel,
            purpose=CodePurpose.CHALLENGE,
            with_link=False,
            attempt=challenge_id.hex,
            authenticator=authenticator,
        )
        return CodeChallenge.objects.create(
            id=challenge_id,
            tenant_id=user.tenant_id,
            user=user,
            code=code,
            verification_method=authenticator.verification_method,
            channel=channel,
            action_code=action_code,
            idempotency_key=idempotency_key or uuid.uuid4(),
            context=context or {},
            expires_at=code.expires_at,
        )


def code_challenge_get(*, tenant: Tenant, challenge_id: object) -> CodeChallenge | None:
    """A challenge of ``tenant`` by id, with its user and code; None for an unknown id."""
    try:
        pk = uuid.UUID(str(challenge_id))
    except ValueError:
        return None
    return (
        CodeChallenge.objects.select_related("user", "code__authenticator")
        .filter(tenant=tenant, pk=pk)
        .first()
    )


def code_challenge_find(
    *,
    tenant: Tenant,
    user_id: str | None = None,
    action_code: str | None = None,
    channels: list[str] | None = None,
) -> CodeChallenge | None:
    """The newest challenge of ``tenant`` for the user, action code and channels given."""
    challenges = CodeChallenge.objects.select_related("user", "code__authenticator").filter(
        tenant=tenant
    )
    if user_id is not None:
        challenges = challenges.filter(user__external_id=user_id)
    if action_code is not None:
        challenges = challenges.filter(action_code=action_code)
    if channels is not None:
        challenges = challenges.filter(channel__in=channels)
    return challenges.order_by("-created_at").first()


def code_challenge_verify(*, challenge: CodeChallenge, code: str) -> CodeChallenge:
    """Spend the challenge's code if ``code`` is it, still unused and unexpired.

    A wrong, spent, superseded or expired code counts as a failure of the challenge and of the
    authenticator (``invalid_code``, 401); a challenge with too many failures refuses without
    counting (``challenge_attempts_exceeded``, 429), and so does a locked authenticator
    (``authenticator_locked``, 429, by ``authenticator_attempt``). On success ``verified_at``
    is set.
    """
    digest = secret_hash(code.strip().replace(" ", ""))

    def check(locked: Authenticator) -> bool:
        now = timezone.now()
        failures = CodeChallenge.objects.values_list("failures", flat=True).get(pk=challenge.pk)
        if failures >= locked.tenant.lockout_threshold:  # nothing counted: the code is dead
            raise ApplicationError(
                "challenge_attempts_exceeded",
                "Too many wrong codes for this challenge; start a new one.",
                status=429,
            )
        row = OneTimeCode.objects.get(pk=challenge.code_id)
        wrong = (
            row.used_at is not None
            or row.expires_at <= now
            or challenge.expires_at <= now
            or not constant_time_equal(row.code_hash, digest)
        )
        if wrong:
            CodeChallenge.objects.filter(pk=challenge.pk).update(failures=F("failures") + 1)
            return False
        spent = OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
        if spent != 1:
            return False
        CodeChallenge.objects.filter(pk=challenge.pk).update(verified_at=now)
        challenge.verified_at = now
        return True

    authenticator_attempt(
        authenticator_id=challenge.code.authenticator_id,
        check=check,
        what="Wrong or expired code",
    )
    return challenge


def code_challenge_address(challenge: CodeChallenge) -> dict[str, str | None]:
    """The e-mail or phone number the challenge's code went to, as the API names them."""
    authenticator = challenge.code.authenticator
    return {
        "email": authenticator.email or None,
        "phoneNumber": authenticator.phone_number or None,
    }
