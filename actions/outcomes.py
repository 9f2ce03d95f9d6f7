"""An action's outcome: completed by a verification, set by the tenant's backend, and
validated once.

Completing and validating are each one conditional UPDATE, so a result is used exactly once
under concurrency: ``action_validate`` reports ``isValid`` true to exactly one caller.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import selectors
from actions.events import action_event
from actions.models import SUCCEEDED_STATES, Action, ActionState, Challenge
from actions.tokens import MAX_TTL_SECONDS, ActionToken, action_open_until, token_decode
from actions.verify_at_once import last_use_is_recent
from devices.lockout import THROTTLE_FIELDS
from devices.models import Authenticator
from recognize_project import sql
from recognize_project.errors import ApplicationError

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


def action_complete(*, action: Action, authenticator: Authenticator) -> None:
    """Mark ``action`` CHALLENGE_SUCCEEDED by ``authenticator`` (whose lockout count resets).

    Refused (``expired_token``) once the action's token has expired, whatever path got here.
    """
    now = timezone.now()
    if action_open_until(action) <= now:
        raise ApplicationError(
            "expired_token",
            "The action's token has expired; track the action again.",
            status=401,
        )
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


_ACTION_COLUMNS = sql.columns(Action)


_COMPLETED = ["state", "state_updated_at", "verification_method", "verified_device", "device_bound"]


# The checks of ``challenge_action`` for a token's action, and ``action_complete``'s UPDATE.
_TOKEN_ACTION_COMPLETE = (
    "UPDATE actions_action SET state = %s, state_updated_at = %s, verification_method = %s,"  # noqa: S608 (model columns)
    " verified_device_id = %s, device_bound = %s"
    " WHERE tenant_id = %s AND idempotency_key = %s AND user_id = %s AND state = %s"
    " AND created_at > %s"
)


def token_action_complete(
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
            now - timedelta(seconds=min(challenge.tenant.token_ttl_seconds, MAX_TTL_SECONDS)),
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
