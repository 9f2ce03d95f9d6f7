"""Writes for actions: track, update, validate, and device challenges.

Every check-and-use here is one conditional UPDATE (or a row lock), so a challenge, a
single-use token or a successful result is used exactly once under concurrency.

The statements of the in-app flow (track, challenge, verify, validate) are plain SQL through
``recognize_project.sql``, a few per request; the rarer paths use the ORM.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from accounts.services import user_get_or_create
from actions import conf, selectors
from actions.events import action_event
from actions.models import (
    SUCCEEDED_STATES,
    Action,
    ActionConfig,
    ActionState,
    Challenge,
    ConsumedToken,
    Outcome,
)
from actions.rules.selectors import rule_context, rules_decide
from actions.tokens import ActionToken, token_decode, token_issue
from actions.verify_at_once import (
    in_app_verify_at_once,
    last_use_is_recent,
)
from devices import keys
from devices import selectors as device_selectors
from devices.attempts import authenticator_failure
from devices.lockout import THROTTLE_FIELDS, raise_if_locked
from devices.models import Authenticator, VerificationMethod
from events.webhooks import webhook_emit, webhook_wanted
from recognize_project import sql
from recognize_project.errors import ApplicationError
from recognize_sdk.proof import proof_message

ADD_AUTHENTICATORS = "add:authenticators"

_SUCCEEDED_STATES = sorted(str(state) for state in SUCCEEDED_STATES)
# Also returns the user's userId (external_id), the one thing of the user validate shows.
_VALIDATION_CLAIM = (
    "UPDATE actions_action SET validated_at = %s"  # noqa: S608 (model columns)
    " WHERE tenant_id = %s AND idempotency_key = %s AND validated_at IS NULL"
    f" AND state IN ({', '.join(['%s'] * len(_SUCCEEDED_STATES))})"
    " AND (NOT device_bound OR verified_device_id IS NOT NULL)"
    f" RETURNING {sql.columns(Action)},"
    " (SELECT external_id FROM accounts_enduser WHERE id = actions_action.user_id)"
)

_CHALLENGE_CLAIM = (
    "UPDATE actions_challenge SET used_at = %s, device_id = %s"  # noqa: S608 (model columns)
    " WHERE id = %s AND tenant_id = %s AND used_at IS NULL AND expires_at > %s"
    f" RETURNING {sql.columns(Challenge)}"
)


@dataclass(frozen=True)
class TrackResult:
    action: Action
    token: str
    enrolled_methods: list[str]
    #: The methods a fired rule allows (None: any enrolled one).
    rule_methods: list[str] | None = None
    #: Under number matching, the number the sign-in page shows for the push challenge.
    push_verification_code: str = ""


def action_track(
    *, tenant: Tenant, user_id: str, action_code: str, attributes: dict[str, Any]
) -> TrackResult:
    """Record an attempt at ``action_code`` by ``user_id`` and decide its outcome."""
    known = selectors.track_context_get(tenant=tenant, user_id=user_id, action_code=action_code)
    if known is not None:  # the action is the only write
        return _action_record(tenant=tenant, context=known, code=action_code, attributes=attributes)
    with transaction.atomic():
        user = user_get_or_create(
            tenant=tenant,
            external_id=user_id,
            email=attributes.get("email"),
            phone_number=attributes.get("phone_number"),
            username=attributes.get("username"),
            display_name=attributes.get("display_name"),
        )
        context = selectors.TrackContext(
            user,
            device_selectors.enrolled_methods(user=user),
            selectors.action_outcome(tenant=tenant, action_code=action_code),
        )
        return _action_record(
            tenant=tenant, context=context, code=action_code, attributes=attributes
        )


def _action_record(
    *, tenant: Tenant, context: selectors.TrackContext, code: str, attributes: dict[str, Any]
) -> TrackResult:
    outcome, source = context.outcome
    enrolled = context.enrolled_methods
    decision = rules_decide(
        tenant=tenant,
        action_code=code,
        context=rule_context(
            user=context.user,
            ip_address=attributes.get("ip_address"),
            user_agent=attributes.get("user_agent") or "",
            device_id=attributes.get("device_id") or "",
            custom=attributes.get("custom"),
        ),
    )
    rule_ids, allowed = [], None
    if decision is not None:
        outcome, source, rule_ids = decision.outcome, "rule", [decision.rule_id]
        allowed = list(decision.verification_methods) or None
    scopes = set(attributes.get("scope") or ())
    if not enrolled:
        scopes.add(ADD_AUTHENTICATORS)  # a first authenticator may be enrolled in the flow
    action = Action(
        tenant=tenant,
        user=context.user,
        action_code=code,
        state=outcome,
        output={"state": outcome, "source": source, "ruleIds": rule_ids},
        scope=" ".join(sorted(scopes)),
        ip_address=attributes.get("ip_address"),
        user_agent=(attributes.get("user_agent") or "")[:512],
        client_device_id=attributes.get("device_id") or "",
        redirect_url=attributes.get("redirect_url") or "",
        custom=attributes.get("custom") or {},
    )
    face_required = (
        allowed is not None
        and VerificationMethod.FACE in allowed
        and VerificationMethod.PUSH not in allowed
        and VerificationMethod.FACE in enrolled
    )
    pushes = (
        outcome == ActionState.CHALLENGE_REQUIRED
        and VerificationMethod.PUSH in enrolled
        and (allowed is None or VerificationMethod.PUSH in allowed or face_required)
    )
    announce = webhook_wanted(tenant=tenant, event_type="action.created")
    if not pushes and not announce:  # the action is the only write
        sql.insert(action, durable=False)  # a lost action only makes its token useless
        return TrackResult(action, token_issue(action=action, scopes=scopes), enrolled, allowed)
    from actions.push import push_challenge_create, push_limits_check  # push builds on this module

    with transaction.atomic():
        if pushes:
            push_limits_check(tenant=tenant, user=context.user)
        sql.insert(action)
        push = push_challenge_create(action=action, face_required=face_required) if pushes else None
        if announce:
            webhook_emit(
                tenant=tenant,
                event_type="action.created",
                data={
                    "userId": context.user.external_id,
                    "actionCode": code,
                    "idempotencyKey": str(action.idempotency_key),
                    "state": outcome,
                    "ruleIds": rule_ids,
                },
            )
    token = token_issue(action=action, scopes=scopes)
    code_shown = push.verification_code if push is not None else ""
    return TrackResult(action, token, enrolled, allowed, code_shown)


def action_update(*, action: Action, state: str) -> Action:
    """Set an action's state, as the tenant's backend or a reviewer decides."""
    action.state = state
    action.state_updated_at = timezone.now()
    with transaction.atomic():
        action.save(update_fields=["state", "state_updated_at"])
        action_event(action, source="backend")
    return action


@dataclass(frozen=True)
class ValidationResult:
    action: Action
    is_valid: bool


def action_validate(
    *, tenant: Tenant, token: str, user_id: str | None = None, action_code: str | None = None
) -> ValidationResult:
    """Report whether ``token``'s action succeeded — ``is_valid`` is true only the first time."""
    claims = token_decode(token, status=400)
    if claims.tenant_id != str(tenant.pk):
        raise ApplicationError("invalid_token", "The token is not valid.")
    if (user_id is not None and user_id != claims.user_id) or (
        action_code is not None and action_code != claims.action_code
    ):
        raise ApplicationError("token_mismatch", "The token was issued for another user or action.")
    validated = _validation_claim(tenant=tenant, idempotency_key=claims.idempotency_key)
    if validated is not None:
        return ValidationResult(validated, True)
    action = selectors.action_get(tenant=tenant, idempotency_key=claims.idempotency_key)
    if action is None:
        raise ApplicationError("invalid_token", "The token's action no longer exists.")
    return ValidationResult(action, False)


def _validation_claim(*, tenant: Tenant, idempotency_key: str) -> Action | None:
    """Set ``validated_at`` of the action if it succeeded and was not validated yet, in one
    conditional UPDATE: the action for exactly one caller, None for every other.

    A device-bound success also needs its device to still exist (deleting it revokes). Of the
    action's user only the id and ``external_id`` are loaded; other fields load on access.
    """
    key = selectors.idempotency_key_parse(idempotency_key)
    if key is None:
        return None
    row = sql.fetch_one(_VALIDATION_CLAIM, [timezone.now(), tenant.pk, key, *_SUCCEEDED_STATES])
    if row is None:
        return None
    action = sql.instance_from_row(Action, row[:-1])
    action.tenant = tenant
    action.user = EndUser.from_db(
        DEFAULT_DB_ALIAS, ["id", "external_id"], [action.user_id, row[-1]]
    )
    return action


def _token_used() -> ApplicationError:
    return ApplicationError("token_used", "The token was already used.", status=401)


def token_consume(*, jti: str, expires_at: datetime) -> None:
    """Spend the single-use token ``jti``; a second use is refused."""
    try:
        with transaction.atomic():
            ConsumedToken.objects.create(jti=jti, expires_at=expires_at)
    except IntegrityError:
        raise _token_used() from None


def token_require_unspent(*, jti: str) -> None:
    """Refuse early a single-use token that was already spent.

    For work that spends the token only once it succeeds (in a worker): the atomic
    ``token_consume`` there still decides, this only saves a doomed job.
    """
    if ConsumedToken.objects.filter(pk=jti).exists():
        raise _token_used()


def token_user(*, tenant: Tenant, token: ActionToken, scope: str | None = None) -> EndUser:
    """The user a token was issued for, checking it grants ``scope``."""
    if scope is not None and scope not in token.scopes:
        raise ApplicationError(
            "insufficient_scope", f"The token does not grant {scope}.", status=403
        )
    action = selectors.action_get(tenant=tenant, idempotency_key=token.idempotency_key)
    if action is None:
        raise ApplicationError("invalid_token", "The token's action no longer exists.", status=401)
    return action.user


def token_adding_user(*, tenant: Tenant, token: ActionToken | None) -> EndUser:
    """The user an ``add:authenticators`` token lets the app add a credential to."""
    if token is None:
        raise ApplicationError(
            "unauthorized", "Adding a credential needs an action token.", status=401
        )
    return token_user(tenant=tenant, token=token, scope=ADD_AUTHENTICATORS)


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

    ``failure`` is set (and the failure already counted) when the signature was wrong; the
    caller commits its transaction and then raises it, so the count is kept.
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
    and the challenge is spent. A wrong signature counts toward that authenticator's lockout.
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
    return DeviceProof(
        authenticator,
        challenge,
        authenticator_failure(authenticator, "invalid_signature", "The signature is not valid"),
    )


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

    A wrong signature spends the challenge and counts toward the authenticator's lockout.
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
            action = _token_action_complete(
                challenge=proof.challenge, token=token, authenticator=proof.authenticator
            )
        if action is None:
            action = challenge_action(challenge=proof.challenge, token=token, user=user)
            if proof.failure is None:
                action_complete(action=action, authenticator=proof.authenticator)
    if proof.failure is not None:
        raise proof.failure
    return InAppVerification(action, proof.authenticator, token_issue(action=action))


_ACTION_COLUMNS = sql.columns(Action)
_COMPLETED = ["state", "state_updated_at", "verification_method", "verified_device", "device_bound"]
# The checks of ``challenge_action`` for a token's action, and ``action_complete``'s UPDATE.
_TOKEN_ACTION_COMPLETE = (
    "UPDATE actions_action SET state = %s, state_updated_at = %s, verification_method = %s,"  # noqa: S608 (model columns)
    " verified_device_id = %s, device_bound = %s"
    " WHERE tenant_id = %s AND idempotency_key = %s AND user_id = %s AND state = %s"
)


def _token_action_complete(
    *, challenge: Challenge, token: ActionToken, authenticator: Authenticator
) -> Action | None:
    """``challenge_action`` then ``action_complete`` for a token's action, as one conditional
    UPDATE: the completed action, or None when a check fails (``challenge_action`` then says
    which). The action is completed only while it is still pending, whoever else tries."""
    user = authenticator.user
    if token.user_id != user.external_id:
        return None
    key = selectors.idempotency_key_parse(token.idempotency_key)
    if key is None:
        return None
    now = timezone.now()
    query, only = _TOKEN_ACTION_COMPLETE, []
    if challenge.action_id is not None:  # a challenge made for an action completes only that one
        query, only = f"{query} AND id = %s", [challenge.action_id]
    row = sql.fetch_one(
        f"{query} RETURNING {_ACTION_COLUMNS}",
        [
            ActionState.CHALLENGE_SUCCEEDED.value,
            now,
            authenticator.verification_method,
            authenticator.device_id,
            authenticator.device_id is not None,
            challenge.tenant_id,
            key,
            user.pk,
            ActionState.CHALLENGE_REQUIRED.value,
            *only,
        ],
    )
    if row is None:
        return None
    action = sql.instance_from_row(Action, row)
    action.user, action.tenant = user, challenge.tenant
    _authenticator_verified(authenticator, now=now)
    action_event(action)
    return action


def action_complete(*, action: Action, authenticator: Authenticator) -> None:
    """Mark ``action`` CHALLENGE_SUCCEEDED by ``authenticator`` (whose lockout count resets)."""
    now = timezone.now()
    _authenticator_verified(authenticator, now=now)
    action.state = ActionState.CHALLENGE_SUCCEEDED
    action.state_updated_at = now
    action.verification_method = authenticator.verification_method
    action.verified_device_id = authenticator.device_id
    action.device_bound = authenticator.device_id is not None
    sql.update(action, _COMPLETED)
    action_event(action)


def _authenticator_verified(authenticator: Authenticator, *, now: datetime) -> None:
    """Reset the lockout count of ``authenticator`` (locked by the caller) after a success,
    and record when it and its device were last used, at ``verify_at_once.LAST_USE_GRANULARITY``.

    A row whose counters are already clear and whose time is recent is not written: the
    times shown (``lastVerifiedAt``, ``lastUsedAt``) may lag by up to that much, and the
    in-app flow saves two UPDATEs per verification.
    """
    if not (
        authenticator.throttle_is_clear()
        and last_use_is_recent(authenticator.last_verified_at, now)
    ):
        authenticator.throttle_reset(commit=False)
        authenticator.last_verified_at = now
        sql.update(authenticator, [*THROTTLE_FIELDS, "last_verified_at"])
    if authenticator.device_id is None:
        return
    device = authenticator.device if Authenticator.device.is_cached(authenticator) else None
    if device is None or not last_use_is_recent(device.last_used_at, now):
        sql.execute(
            "UPDATE devices_device SET last_used_at = %s WHERE id = %s",
            [now, authenticator.device_id],
        )
        if device is not None:
            device.last_used_at = now


def action_config_set(*, tenant: Tenant, action_code: str, outcome: str) -> ActionConfig:
    """Set the default outcome of ``action_code`` for ``tenant``."""
    config, _ = ActionConfig.objects.update_or_create(
        tenant=tenant, action_code=action_code, defaults={"default_outcome": outcome}
    )
    return config


def expired_purge() -> dict[str, int]:
    """Housekeeping: drop challenges and spent-token records past their expiry.

    Expiry is always checked at use; this only keeps the tables small.
    """
    now = timezone.now()
    challenges, _ = Challenge.objects.filter(expires_at__lt=now).delete()
    tokens, _ = ConsumedToken.objects.filter(expires_at__lt=now).delete()
    return {"challenges": challenges, "consumed_tokens": tokens}
