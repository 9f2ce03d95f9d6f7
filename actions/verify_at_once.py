"""The common in-app verification in one statement, on PostgreSQL.

``challenges.in_app_verify`` looks the device's authenticator up, spends the challenge, completes
the token's action and appends the audit row in a transaction: six round trips to the database
with BEGIN and COMMIT, on every verification of every user. Round trips, not CPU, are what the
in-app flow waits for (docs/benchmarks.md), so once the signature is known to be valid (the
request carries the public key), this module does the same reads and writes in one
data-modifying ``WITH`` statement, which PostgreSQL runs atomically in its own transaction,
provided that the verification is the ordinary kind:

* the key belongs to an IN_APP authenticator of the token's user, with clear lockout counters;
* the token's action is pending;
* the last-use times were recorded within ``LAST_USE_GRANULARITY`` (neither row needs writing);
* no webhook endpoint of the tenant wants ``action.updated`` (its outbox rows would need the
  transaction's other path).

The statement checks all of that itself and writes all or nothing: the authenticator is
share-locked (a concurrent failure takes its row lock first, or waits for ours), the action is
locked and must still be pending, and the challenge is claimed only for that action, unused and
unexpired. When it writes nothing, or the signature is wrong, the caller takes the
transactional path, which explains each refusal and counts failures, exactly as before. SQLite
(the embedded default, with no round trips to save) always takes that path.
"""

import functools
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import conf, selectors
from actions.events import action_event_detail
from actions.models import Action, ActionState
from actions.tokens import MAX_TTL_SECONDS, ActionToken
from devices import keys
from devices.models import Authenticator, VerificationMethod
from events.audit import audit_event_new
from events.models import AuditEvent
from events.webhooks import webhook_wanted
from recognize_project import sql

LAST_USE_GRANULARITY = timedelta(seconds=conf.ACTIONS_LAST_USE_GRANULARITY_SECONDS)

_ACTION = sql.columns(Action)
_STATEMENT = (
    # The device's authenticator as in_app_authenticator_get finds it, if it is ordinary.
    "WITH device_authenticator AS ("  # noqa: S608 (model columns)
    f" SELECT a.user_id AS known_user, a.device_id AS known_device, d.last_used_at AS used,"
    f" {sql.columns(Authenticator, 'a')}, {sql.columns(EndUser, 'u')}"
    " FROM devices_authenticator a"
    " JOIN devices_device d ON d.id = a.device_id JOIN accounts_enduser u ON u.id = a.user_id"
    " WHERE d.tenant_id = %s AND d.public_key_fingerprint = %s AND a.tenant_id = d.tenant_id"
    " AND a.verification_method = %s AND d.public_key_fingerprint <> ''"
    " ORDER BY a.created_at LIMIT 1 FOR SHARE OF a"
    "), known AS ("
    " SELECT * FROM device_authenticator WHERE external_id = %s"
    " AND failure_count = 0 AND lockout_count = 0 AND locked_until IS NULL"
    " AND last_verified_at > %s AND used > %s"
    "), target AS ("
    " SELECT id FROM actions_action"
    " WHERE tenant_id = %s AND idempotency_key = %s AND state = %s AND created_at > %s"
    " AND user_id = (SELECT known_user FROM known)"
    " FOR UPDATE"
    "), claimed AS ("
    " UPDATE actions_challenge SET used_at = %s, device_id = (SELECT known_device FROM known)"
    " WHERE id = %s AND tenant_id = %s AND used_at IS NULL AND expires_at > %s"
    " AND EXISTS (SELECT 1 FROM target WHERE actions_challenge.action_id IS NULL"
    " OR actions_challenge.action_id = target.id)"
    " RETURNING id"
    "), completed AS ("
    " UPDATE actions_action SET state = %s, state_updated_at = %s, verification_method = %s,"
    " verified_device_id = (SELECT known_device FROM known), device_bound = TRUE"
    " WHERE id IN (SELECT id FROM target) AND EXISTS (SELECT 1 FROM claimed)"
    f" RETURNING {_ACTION}"
    "), audited AS ({audit_insert} FROM completed)"
    f" SELECT {sql.columns(Action, 'completed')}, known.* FROM completed CROSS JOIN known"
)
_KNOWN_EXTRA = 3  # known_user, known_device, used


@functools.cache
def _statement(audit_insert: str) -> str:
    return _STATEMENT.format(audit_insert=audit_insert)


def last_use_is_recent(moment: datetime | None, now: datetime) -> bool:
    """Whether a last-use time recorded as ``moment`` needs no rewrite at ``now``."""
    return moment is not None and now - moment < LAST_USE_GRANULARITY


def in_app_verify_at_once(
    *, tenant: Tenant, challenge_id: str, public_key: str, signature: str, token: ActionToken
) -> tuple[Action, Authenticator] | None:
    """Complete the token's action for a valid device signature over ``challenge_id`` in one
    statement: the completed action and the authenticator (with its user), or None (nothing
    written) when the verification is not the ordinary kind or anything about it fails."""
    if connection.vendor != "postgresql" or webhook_wanted(
        tenant=tenant, event_type="action.updated"
    ):
        return None
    key = selectors.idempotency_key_parse(token.idempotency_key)
    parsed = keys.public_key_parse(public_key)
    if key is None or not keys.signature_is_valid(parsed.key, signature, challenge_id):
        return None  # the other path explains, and counts the failure
    now = timezone.now()
    succeeded = Action(
        action_code=token.action_code,  # the token names its action's code and key
        idempotency_key=key,
        state=ActionState.CHALLENGE_SUCCEEDED,
        verification_method=VerificationMethod.IN_APP,
    )
    event = audit_event_new(
        tenant=tenant, event_type="action.updated", **action_event_detail(succeeded)
    )
    audit_insert, audit_values = sql.insert_select(
        event, columns_from={AuditEvent.user.field.column: "completed.user_id"}
    )
    stale = now - LAST_USE_GRANULARITY
    row = sql.fetch_one(
        _statement(audit_insert),
        [
            tenant.pk,
            parsed.fingerprint,
            VerificationMethod.IN_APP.value,
            token.user_id,
            stale,
            stale,
            tenant.pk,
            key,
            ActionState.CHALLENGE_REQUIRED.value,
            now - timedelta(seconds=min(tenant.token_ttl_seconds, MAX_TTL_SECONDS)),
            now,
            challenge_id,
            tenant.pk,
            now,
            ActionState.CHALLENGE_SUCCEEDED.value,
            now,
            VerificationMethod.IN_APP.value,
            *audit_values,
        ],
    )
    if row is None:
        return None
    split = len(Action._meta.concrete_fields)
    action = sql.instance_from_row(Action, row[:split])
    known = row[split + _KNOWN_EXTRA :]
    authenticator, user = sql.instances_from_row(known, Authenticator, EndUser)
    authenticator.user = action.user = user
    authenticator.tenant = action.tenant = user.tenant = tenant
    return action, authenticator
