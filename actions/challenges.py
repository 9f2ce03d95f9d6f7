"""Device challenges: single-use nonces a bound device signs, and in-app verification.

A challenge is spent by one conditional UPDATE, so it is used exactly once under concurrency;
a wrong signature spends it too and is audited, but never counts toward the lockout: anyone who
knows a public key can send one (``devices.attempts.signature_refusal``).
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import conf, selectors
from actions.models import Action, ActionState, Challenge, Outcome
from actions.outcomes import action_complete, token_action_complete
from actions.tokens import ActionToken, token_issue
from actions.verify_at_once import in_app_verify_at_once
from devices import keys
from devices import selectors as device_selectors
from devices.attempts import signature_refusal
from devices.lockout import raise_if_locked
from devices.models import Authenticator
from recognize_project import sql
from recognize_project.errors import ApplicationError
from recognize_sdk.proof import proof_message

_CHALLENGE_CLAIM = (
    "UPDATE actions_challenge SET used_at = %s, device_id = %s"  # noqa: S608 (model columns)
    " WHERE id = %s AND tenant_id = %s AND used_at IS NULL AND expires_at > %s"
    f" RETURNING {sql.columns(Challenge)}"
)


def challenge_create(
    *, tenant: Tenant, token: ActionToken | None = None, action_code: str = ""
) -> Challenge:
    """A fresh single-use nonce, bound to the token's action when there is one."""
    challenge = Challenge(
        id=secrets.token_urlsafe(32),
        tenant=tenant,
        action_code=action_code,
        expires_at=timezone.now() + timedelta(seconds=conf.ACTIONS_CHALLENGE_TTL_SECONDS),
    )
    if token is None:
        sql.insert(challenge, durable=False)
    elif not _challenge_insert_for_action(challenge, idempotency_key=token.idempotency_key):
        raise ApplicationError("invalid_token", "The token's action no longer exists.", status=401)
    return challenge


def _challenge_insert_for_action(challenge: Challenge, *, idempotency_key: str) -> bool:
    """INSERT ``challenge`` bound to the tenant's action with ``idempotency_key``, taking the
    action's code; in one statement, which inserts nothing (False) when there is no such action.

    The commit may be asynchronous: a challenge lost in a database crash is simply unknown
    afterwards, and spending it (verify) commits synchronously.
    """
    key = selectors.idempotency_key_parse(idempotency_key)
    if key is None:
        return False
    challenge.created_at = timezone.now()
    row = sql.fetch_one(
        "INSERT INTO actions_challenge"  # noqa: S608 (no input in the SQL)
        " (id, tenant_id, action_id, action_code, device_id, created_at, expires_at, used_at)"
        " SELECT %s, tenant_id, id, action_code, NULL, %s, %s, NULL FROM actions_action"
        " WHERE tenant_id = %s AND idempotency_key = %s"
        f" RETURNING action_id, action_code{sql.asynchronous_commit()}",
        [challenge.id, challenge.created_at, challenge.expires_at, challenge.tenant_id, key],
    )
    if row is None:
        return False
    challenge.action_id, challenge.action_code = row[:2]
    sql.mark_saved(challenge)
    return True


def _require_pending(action: Action) -> None:
    if action.state != ActionState.CHALLENGE_REQUIRED:
        raise ApplicationError(
            "action_not_pending",
            f"The action is {action.state}; only a CHALLENGE_REQUIRED action can be verified.",
            status=409,
        )


def _challenge_claim(
    *, tenant: Tenant, challenge_id: str, authenticator: Authenticator
) -> Challenge:
    """Mark a challenge used, atomically (one conditional UPDATE); explain precisely why when
    it cannot be."""
    now = timezone.now()
    row = sql.fetch_one(
        _CHALLENGE_CLAIM, [now, authenticator.device_id, challenge_id, tenant.pk, now]
    )
    if row is not None:
        challenge = sql.instance_from_row(Challenge, row)
        challenge.tenant = tenant
        return challenge
    used = Challenge.objects.filter(pk=challenge_id, tenant=tenant).values_list("used_at").first()
    if used is None:
        raise ApplicationError("invalid_challenge", "Unknown challengeId.")
    if used[0] is not None:
        raise ApplicationError("challenge_used", "The challenge was already used.")
    raise ApplicationError("challenge_expired", "The challenge has expired.")


def challenge_action(*, challenge: Challenge, token: ActionToken | None, user: EndUser) -> Action:
    """The action a challenge answer completes, created for app-initiated verifications."""
    if token is not None:
        if token.user_id != user.external_id:
            raise ApplicationError(
                "token_mismatch", "The token belongs to another user.", status=403
            )
        action = selectors.action_get(
            tenant=challenge.tenant, idempotency_key=token.idempotency_key
        )
        if action is None or (challenge.action_id is not None and challenge.action_id != action.pk):
            raise ApplicationError("token_mismatch", "The token is for another action.", status=403)
    elif challenge.action_id is not None:
        action = challenge.action
    else:
        if not challenge.action_code:
            raise ApplicationError(
                "invalid_request", "Pass an action token or create the challenge for an action."
            )
        action = Action.objects.create(
            tenant=challenge.tenant,
            user=user,
            action_code=challenge.action_code,
            state=ActionState.CHALLENGE_REQUIRED,
            output={"state": Outcome.CHALLENGE_REQUIRED, "source": "app", "ruleIds": []},
        )
    if action.user_id != user.pk:
        raise ApplicationError("token_mismatch", "The challenge is for another user.", status=403)
    action.user, action.tenant = user, challenge.tenant  # spares token_issue two lazy loads
    _require_pending(action)
    return action


@dataclass(frozen=True)
class DeviceProof:
    """The outcome of checking a device's signature over a challenge.

    ``failure`` is set (and the failure already audited) when the signature was wrong; the
    caller commits its transaction and then raises it, so the audit row is kept.
    """

    authenticator: Authenticator
    challenge: Challenge
    failure: ApplicationError | None


def device_proof_check(
    *,
    tenant: Tenant,
    challenge_id: str,
    public_key: str,
    signature: str,
    content: bytes | None = None,
) -> DeviceProof:
    """Check that the bound device holding ``public_key`` signed ``challenge_id`` (and content).

    Call inside ``transaction.atomic()``: the device's IN_APP authenticator row stays locked
    and the challenge is spent. A wrong signature is audited, not counted.
    """
    parsed = keys.public_key_parse(public_key)
    authenticator = device_selectors.in_app_authenticator_get(
        tenant=tenant, fingerprint=parsed.fingerprint, lock=True
    )
    if authenticator is None:
        raise ApplicationError("credential_not_found", "No credential has this key.", status=404)
    raise_if_locked(authenticator)
    challenge = _challenge_claim(
        tenant=tenant, challenge_id=challenge_id, authenticator=authenticator
    )
    message = challenge_id if content is None else proof_message(challenge_id, content)
    if keys.signature_is_valid(parsed.key, signature, message):
        return DeviceProof(authenticator, challenge, None)
    authenticator.tenant = tenant
    return DeviceProof(authenticator, challenge, signature_refusal(authenticator))


@dataclass(frozen=True)
class InAppVerification:
    action: Action
    authenticator: Authenticator
    token: str


def in_app_verify(
    *,
    tenant: Tenant,
    challenge_id: str,
    public_key: str,
    signature: str,
    token: ActionToken | None = None,
) -> InAppVerification:
    """Check a device's signature over a challenge and complete the action it belongs to.

    A wrong signature spends the challenge and is audited (not counted toward a lockout).
    """
    if token is not None:
        done = in_app_verify_at_once(
            tenant=tenant,
            challenge_id=challenge_id,
            public_key=public_key,
            signature=signature,
            token=token,
        )
        if done is not None:
            action, authenticator = done
            return InAppVerification(action, authenticator, token_issue(action=action))
    with transaction.atomic():
        proof = device_proof_check(
            tenant=tenant, challenge_id=challenge_id, public_key=public_key, signature=signature
        )
        user = proof.authenticator.user
        action = None
        if proof.failure is None and token is not None:
            action = token_action_complete(
                challenge=proof.challenge, token=token, authenticator=proof.authenticator
            )
        if action is None:
            action = challenge_action(challenge=proof.challenge, token=token, user=user)
            if proof.failure is None:
                action_complete(action=action, authenticator=proof.authenticator)
    if proof.failure is not None:
        raise proof.failure
    return InAppVerification(action, proof.authenticator, token_issue(action=action))
