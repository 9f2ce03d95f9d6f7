"""Claiming a challenge the tenant's backend started (``devices.factors.code_challenges``):
the challenge becomes an action of its user, whose token the backend validates or turns into a
session like any other.

A claim is single use: the conditional UPDATE of ``claimed_at`` lets one caller through, and
the action takes the challenge's ``idempotency_key``, unique per tenant. The action is
CHALLENGE_SUCCEEDED when the code was already verified, else CHALLENGE_REQUIRED until it is
(``claimed_action_complete``, called after a verification).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Tenant
from actions.events import action_event
from actions.models import Action, ActionState
from actions.tokens import MAX_TTL_SECONDS, token_issue
from devices.models import CodeChallenge
from recognize_project.errors import ApplicationError

#: The action code of a claimed challenge that named none.
DEFAULT_ACTION_CODE = "challenge"


@dataclass(frozen=True)
class ClaimResult:
    action: Action
    token: str


def challenge_claim(*, tenant: Tenant, challenge: CodeChallenge, user_id: str) -> ClaimResult:
    """Turn ``challenge`` into an action of its user ``user_id`` and a token for it, once.

    Refused: another user's challenge (``challenge_user_mismatch``, 403), an expired one
    (``challenge_expired``, 400), one already claimed (``challenge_claimed``, 409).
    """
    if challenge.tenant_id != tenant.pk:
        raise ApplicationError("challenge_not_found", "No such challenge.", status=404)
    if challenge.user.external_id != user_id:
        raise ApplicationError(
            "challenge_user_mismatch", "The challenge was started for another user.", status=403
        )
    now = timezone.now()
    if challenge.expires_at <= now:
        raise ApplicationError("challenge_expired", "The challenge has expired.")
    with transaction.atomic():
        claimed = CodeChallenge.objects.filter(pk=challenge.pk, claimed_at__isnull=True).update(
            claimed_at=now
        )
        if not claimed:
            raise ApplicationError(
                "challenge_claimed", "The challenge was already claimed.", status=409
            )
        verified = challenge.verified_at is not None or (
            CodeChallenge.objects.filter(pk=challenge.pk, verified_at__isnull=False).exists()
        )
        try:
            action = _claimed_action(tenant, challenge, verified=verified)
        except IntegrityError:
            raise ApplicationError(
                "idempotency_key_conflict",
                "The challenge's idempotencyKey was already used for an action.",
                status=409,
            ) from None
        action_event(action, "action.created" if not verified else "action.updated")
    return ClaimResult(action, token_issue(action=action, scopes=set(action.scope.split())))


def _claimed_action(tenant: Tenant, challenge: CodeChallenge, *, verified: bool) -> Action:
    context = challenge.context
    with transaction.atomic():
        return Action.objects.create(
            tenant=tenant,
            user=challenge.user,
            action_code=challenge.action_code or DEFAULT_ACTION_CODE,
            idempotency_key=challenge.idempotency_key,
            state=ActionState.CHALLENGE_SUCCEEDED if verified else ActionState.CHALLENGE_REQUIRED,
            output={"state": ActionState.CHALLENGE_REQUIRED, "source": "challenge", "ruleIds": []},
            scope=context.get("scope", ""),
            ip_address=context.get("ipAddress") or None,
            user_agent=(context.get("userAgent") or "")[:512],
            client_device_id=context.get("deviceId") or "",
            custom=context.get("custom") or {},
            locale=context.get("locale") or "",
            challenge_id=str(challenge.pk),
            verification_method=challenge.verification_method if verified else "",
        )


def claimed_action_complete(*, challenge: CodeChallenge) -> None:
    """After ``challenge`` was verified: complete the action a claim made of it, if any and
    still open (a conditional UPDATE, within the action token's lifetime)."""
    if challenge.verified_at is None:
        return
    now = timezone.now()
    opened_after = now - timedelta(
        seconds=min(challenge.user.tenant.token_ttl_seconds, MAX_TTL_SECONDS)
    )
    Action.objects.filter(
        tenant_id=challenge.tenant_id,
        idempotency_key=challenge.idempotency_key,
        state=ActionState.CHALLENGE_REQUIRED,
        created_at__gt=opened_after,
    ).update(
        state=ActionState.CHALLENGE_SUCCEEDED,
        state_updated_at=now,
        verification_method=challenge.verification_method,
    )
