"""The common in-app verification in one statement, on PostgreSQL.

``services.in_app_verify`` spends the challenge, completes the token's action and appends the
audit row in a transaction of four statements: six round trips to the database with BEGIN and
COMMIT, on every verification of every user. Round trips, not CPU, are what the in-app flow
waits for (docs/benchmarks.md), so when everything about a verification is already known to be
ordinary, this module does the same writes in one data-modifying ``WITH`` statement, which
PostgreSQL runs atomically in its own transaction:

* a valid signature by the device's IN_APP authenticator, whose lockout counters are clear;
* a token for a pending action of that user;
* last-use times recorded within ``LAST_USE_GRANULARITY`` (so neither row needs writing);
* no webhook endpoint of the tenant wants ``action.updated`` (its outbox rows would need the
  transaction's other path).

The statement writes all or nothing: the action is locked and must still be pending, the
authenticator is share-locked and must still be clear (a concurrent failure takes its row lock
first, or waits for ours), and the challenge is claimed only for that action, unused and
unexpired. When it writes nothing, or anything above does not hold, the caller takes the
transactional path, which explains each refusal and counts failures, exactly as before. SQLite
(the embedded default, with no round trips to save) always takes that path.
"""

import functools
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts.models import Tenant
from actions import conf, selectors
from actions.audit import audit_event_new
from actions.events import action_event_detail
from actions.models import Action, ActionState
from actions.tokens import ActionToken
from actions.webhooks import webhook_wanted
from devices import keys
from devices import selectors as device_selectors
from devices.models import Authenticator, VerificationMethod
from recognize_project import sql

LAST_USE_GRANULARITY = timedelta(seconds=conf.ACTIONS_LAST_USE_GRANULARITY_SECONDS)

_STATEMENT = (
    "WITH target AS ("  # noqa: S608 (model columns)
    " SELECT id FROM actions_action"
    " WHERE tenant_id = %s AND idempotency_key = %s AND user_id = %s AND state = %s"
    " FOR UPDATE"
    "), clear AS ("
    " SELECT id FROM devices_authenticator"
    " WHERE id = %s AND failure_count = 0 AND lockout_count = 0 AND locked_until IS NULL"
    " FOR SHARE"
    "), claimed AS ("
    " UPDATE actions_challenge SET used_at = %s, device_id = %s"
    " WHERE id = %s AND tenant_id = %s AND used_at IS NULL AND expires_at > %s"
    " AND EXISTS (SELECT 1 FROM clear)"
    " AND EXISTS (SELECT 1 FROM target WHERE actions_challenge.action_id IS NULL"
    " OR actions_challenge.action_id = target.id)"
    " RETURNING id"
    "), completed AS ("
    " UPDATE actions_action SET state = %s, state_updated_at = %s, verification_method = %s,"
    " verified_device_id = %s, device_bound = TRUE"
    " WHERE id IN (SELECT id FROM target) AND EXISTS (SELECT 1 FROM claimed)"
    f" RETURNING {sql.columns(Action)}"
    "), audited AS ({audit_insert} SELECT {audit_values} FROM completed)"
    f" SELECT {sql.columns(Action)} FROM completed"
)


@functools.cache
def _statement(audit_insert: str, audit_columns: int) -> str:
    placeholders = ", ".join(["%s"] * audit_columns)
    return _STATEMENT.format(audit_insert=audit_insert, audit_values=placeholders)


def last_use_is_recent(moment: datetime | None, now: datetime) -> bool:
    """Whether a last-use time recorded as ``moment`` needs no rewrite at ``now``."""
    return moment is not None and now - moment < LAST_USE_GRANULARITY


def _ordinary(authenticator: Authenticator, token: ActionToken, now: datetime) -> bool:
    """Whether nothing but the ordinary writes can follow from this authenticator's success."""
    device = authenticator.device
    return (
        authenticator.failure_count == 0
        and authenticator.lockout_count == 0
        and authenticator.locked_until is None
        and last_use_is_recent(authenticator.last_verified_at, now)
        and last_use_is_recent(device.last_used_at, now)
        and token.user_id == authenticator.user.external_id
    )


def in_app_verify_at_once(
    *, tenant: Tenant, challenge_id: str, public_key: str, signature: str, token: ActionToken
) -> tuple[Action, Authenticator] | None:
    """Complete the token's action for a valid device signature over ``challenge_id`` in one
    statement: the completed action and the authenticator, or None (nothing written) when
    the verification is not the ordinary kind or anything about it fails."""
    if connection.vendor != "postgresql" or webhook_wanted(
        tenant=tenant, event_type="action.updated"
    ):
        return None
    key = selectors.idempotency_key_parse(token.idempotency_key)
    if key is None:
        return None
    parsed = keys.public_key_parse(public_key)
    authenticator = device_selectors.in_app_authenticator_get(
        tenant=tenant, fingerprint=parsed.fingerprint
    )
    now = timezone.now()
    if authenticator is None or not _ordinary(authenticator, token, now):
        return None
    if not keys.signature_is_valid(parsed.key, signature, challenge_id):
        return None  # the other path counts the failure
    user = authenticator.user
    succeeded = Action(
        action_code=token.action_code,  # the token names its action's code and key
        idempotency_key=key,
        state=ActionState.CHALLENGE_SUCCEEDED,
        verification_method=VerificationMethod.IN_APP,
    )
    event = audit_event_new(
        tenant=tenant, user=user, event_type="action.updated", **action_event_detail(succeeded)
    )
    audit_insert, audit_values = sql.insert_into(event)
    row = sql.fetch_one(
        _statement(audit_insert, len(audit_values)),
        [
            tenant.pk,
            key,
            user.pk,
            ActionState.CHALLENGE_REQUIRED.value,
            authenticator.pk,
            now,
            authenticator.device_id,
            challenge_id,
            tenant.pk,
            now,
            ActionState.CHALLENGE_SUCCEEDED.value,
            now,
            VerificationMethod.IN_APP.value,
            authenticator.device_id,
            *audit_values,
        ],
    )
    if row is None:
        return None
    action = sql.instance_from_row(Action, row)
    action.user, action.tenant = user, tenant
    return action, authenticator
