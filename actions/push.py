"""Push challenges: the user's app is asked to approve an action, and answers with its key.

Tracking a CHALLENGE_REQUIRED action for a user with a PUSH authenticator creates one
challenge (``push_challenge_create``, inside track's transaction) and queues its delivery to
every install with a working gateway registration; poll-only installs find it by polling.
Limits against push bombing are checked before anything is created. The app answers once:
approve (with the number the sign-in page shows, under number matching) or deny — a denial
fails the action and tells the tenant (``push.denied`` event, ``action.updated`` webhook with
reason ``DENIED_BY_USER``).
"""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions.events import action_event
from actions.models import Action, ActionState, PushChallenge
from actions.outcomes import action_complete
from actions.tasks import push_deliver
from devices import keys
from devices.attempts import authenticator_failure, signature_refusal
from devices.lockout import raise_if_locked
from devices.models import (
    Authenticator,
    DeviceRequestPurpose,
    PushChannel,
    PushRegistration,
    VerificationMethod,
)
from devices.proofs import device_request_verify
from devices.push import (
    PushDeliveryError,
    PushError,
    StaleRegistration,
    push_send,
)
from devices.push_credentials import (
    push_authenticator_require,
    push_registration_disable,
    push_registration_open,
)
from events import conf as events_conf
from events.services import event_record
from recognize_project.errors import ApplicationError
from recognize_project.notifications import notify_after_commit

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5


def push_limits_check(*, tenant: Tenant, user: EndUser) -> None:
    """Refuse (429, nothing created or sent) when ``user`` already has too many pushes."""
    now = timezone.now()
    recent = PushChallenge.objects.filter(user=user, created_at__gt=now - timedelta(hours=1))
    pending = recent.filter(answered_at__isnull=True, expires_at__gt=now).count()
    if pending >= tenant.push_max_pending:
        raise ApplicationError(
            "too_many_pending_pushes",
            f"The user already has {pending} unanswered push challenges; answer or let them "
            "expire first.",
            status=429,
        )
    if recent.count() >= tenant.push_max_per_hour:
        raise ApplicationError(
            "too_many_pushes",
            f"The user was sent {tenant.push_max_per_hour} push challenges in the last hour.",
            status=429,
            headers={"Retry-After": "3600"},
        )


def push_challenge_create(*, action: Action, face_required: bool = False) -> PushChallenge:
    """The push challenge of ``action`` (in the caller's transaction); delivery is queued.

    ``face_required``: a rule allows only the face, so the app approves by a face match
    (with the action token it gets when polling) instead of by its key alone.
    """
    tenant = action.tenant
    code = f"{secrets.randbelow(100):02d}" if tenant.push_number_matching else ""
    challenge = PushChallenge.objects.create(
        id=secrets.token_urlsafe(32),
        tenant=tenant,
        user=action.user,
        action=action,
        verification_code=code,
        face_required=face_required,
        expires_at=timezone.now() + timedelta(seconds=tenant.token_ttl_seconds),
    )
    event_record(
        tenant=tenant,
        user=action.user,
        event_type="push.created",
        challengeId=challenge.pk,
        actionCode=action.action_code,
        idempotencyKey=action.idempotency_key,
        expiresAt=challenge.expires_at.isoformat(),
    )
    notify_after_commit(push_deliver, challenge.pk)
    return challenge


def _message(challenge: PushChallenge) -> dict:
    return {
        "challengeId": challenge.pk,
        "actionCode": challenge.action.action_code,
        "tenantName": challenge.tenant.name,
        "expiresAt": challenge.expires_at.isoformat(),
        "numberMatching": bool(challenge.verification_code),
        "faceRequired": challenge.face_required,
    }


def push_challenge_deliver(challenge_id: str) -> bool:
    """Send a pending challenge to every install with a working registration.

    Returns True when it should be tried again (a gateway failed for now). A registration the
    gateway calls gone is disabled; a permanent refusal is logged; neither blocks the others,
    and poll-only installs need nothing.
    """
    challenge = (
        PushChallenge.objects.select_related("tenant", "action")
        .filter(pk=challenge_id, answered_at__isnull=True, delivered_at__isnull=True)
        .first()
    )
    if challenge is None or challenge.expires_at <= timezone.now():
        return False
    registrations = (
        PushRegistration.objects.select_related("device__tenant")
        .filter(
            device__user_id=challenge.user_id,
            device__authenticators__verification_method=VerificationMethod.PUSH,
            disabled_at__isnull=True,
        )
        .exclude(channel=PushChannel.POLL)
    )
    retry = False
    ttl = max(1, int((challenge.expires_at - timezone.now()).total_seconds()))
    message = _message(challenge)
    for registration in registrations:
        try:
            push_send(
                channel=registration.channel,
                registration=push_registration_open(registration),
                message=message,
                ttl_seconds=ttl,
            )
        except StaleRegistration as error:
            push_registration_disable(device_id=registration.device_id, reason=str(error))
        except PushDeliveryError:
            retry = True
        except PushError as error:
            logger.warning("push to %s refused: %s", registration.channel, type(error).__name__)
    attempts = challenge.delivery_attempts + 1
    done = not retry or attempts >= MAX_DELIVERY_ATTEMPTS
    PushChallenge.objects.filter(pk=challenge.pk).update(
        delivery_attempts=attempts, delivered_at=timezone.now() if done else None
    )
    return not done


def push_outbox_due() -> list[str]:
    """Pending challenges whose delivery no task is carrying (e.g. after a broker outage)."""
    now = timezone.now()
    return list(
        PushChallenge.objects.filter(
            delivered_at__isnull=True,
            answered_at__isnull=True,
            expires_at__gt=now,
            created_at__lt=now - timedelta(seconds=events_conf.ACTIONS_OUTBOX_SWEEP_GRACE_SECONDS),
        ).values_list("pk", flat=True)[:500]
    )


def push_challenge_pending(
    *, tenant: Tenant, public_key: keys.DevicePublicKey, challenge_id: str, signature: str
) -> PushChallenge | None:
    """The newest unanswered challenge for the install holding ``public_key``, which proves it
    by signing a nonce issued for ``push.poll`` (``devices.proofs``)."""
    authenticator = push_authenticator_require(tenant=tenant, public_key=public_key)
    device_request_verify(
        tenant=tenant,
        public_key=public_key,
        purpose=DeviceRequestPurpose.PUSH_POLL,
        challenge_id=challenge_id,
        signature=signature,
        fields={},
    )
    return (
        PushChallenge.objects.select_related("action", "user")
        .filter(user=authenticator.user, answered_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )


@dataclass(frozen=True)
class PushAnswer:
    action: Action
    approved: bool


def push_challenge_answer(
    *,
    tenant: Tenant,
    challenge_id: str,
    public_key: keys.DevicePublicKey,
    signature: str,
    approved: bool,
    verification_code: str | None,
) -> PushAnswer:
    """Approve or deny a challenge, once. A wrong number counts toward the install's lockout
    and fails the action (whoever typed it is guessing); a wrong signature is only audited
    (anyone who knows the public key can send one)."""
    authenticator = push_authenticator_require(tenant=tenant, public_key=public_key)
    failure = None
    with transaction.atomic():
        locked = Authenticator.objects.select_for_update().select_related("tenant", "user")
        authenticator = locked.get(pk=authenticator.pk)
        raise_if_locked(authenticator)
        if not keys.signature_is_valid(public_key.key, signature, challenge_id):
            failure = signature_refusal(authenticator)
        else:
            challenge = _claim(
                authenticator=authenticator, challenge_id=challenge_id, approved=approved
            )
            action = Action.objects.select_for_update().get(pk=challenge.action_id)
            action.tenant, action.user = tenant, authenticator.user
            if action.state != ActionState.CHALLENGE_REQUIRED:
                raise ApplicationError(
                    "action_not_pending", f"The action is {action.state}.", status=409
                )
            if approved and challenge.face_required:
                raise ApplicationError(
                    "face_required",
                    "This action needs the face: authenticate with the token from the pending "
                    "challenge (POST /v1/client/face/authenticate).",
                    status=409,
                )
            code_ok = not challenge.verification_code or hmac.compare_digest(
                challenge.verification_code, (verification_code or "").strip()
            )
            if approved and code_ok:
                action_complete(action=action, authenticator=authenticator)
                return PushAnswer(action, True)
            reason = "DENIED_BY_USER" if not approved else "WRONG_VERIFICATION_CODE"
            _action_fail(action, challenge, reason)
            if approved:
                PushChallenge.objects.filter(pk=challenge.pk).update(approved=False)
                failure = authenticator_failure(
                    authenticator, "wrong_verification_code", "The number does not match"
                )
    if failure is not None:
        raise failure
    return PushAnswer(action, False)


def _claim(*, authenticator: Authenticator, challenge_id: str, approved: bool) -> PushChallenge:
    """Spend the challenge (one conditional UPDATE), or say exactly why it cannot be."""
    now = timezone.now()
    claimed = PushChallenge.objects.filter(
        pk=challenge_id,
        tenant_id=authenticator.tenant_id,
        user_id=authenticator.user_id,
        answered_at__isnull=True,
        expires_at__gt=now,
    ).update(answered_at=now, approved=approved, answered_by=authenticator.device_id)
    challenge = PushChallenge.objects.filter(
        pk=challenge_id, tenant_id=authenticator.tenant_id, user_id=authenticator.user_id
    ).first()
    if challenge is None:
        raise ApplicationError("invalid_challenge", "Unknown challengeId.", status=404)
    if not claimed:
        if challenge.answered_at is not None:
            raise ApplicationError(
                "challenge_used", "The challenge was already answered.", status=409
            )
        raise ApplicationError("challenge_expired", "The challenge has expired.")
    return challenge


def _action_fail(action: Action, challenge: PushChallenge, reason: str) -> None:
    action.state = ActionState.CHALLENGE_FAILED
    action.state_updated_at = timezone.now()
    action.verification_method = VerificationMethod.PUSH
    action.save(update_fields=["state", "state_updated_at", "verification_method"])
    event_record(
        tenant=action.tenant,
        user=action.user,
        event_type="push.denied" if reason == "DENIED_BY_USER" else "push.failed",
        challengeId=challenge.pk,
        reason=reason,
    )
    action_event(action, reason=reason)


def push_challenge_settle(*, action: Action) -> None:
    """Mark the action's push challenge answered once the action succeeded another way
    (a face authentication for a face-required push)."""
    PushChallenge.objects.filter(action=action, answered_at__isnull=True).update(
        answered_at=timezone.now(), approved=True
    )
