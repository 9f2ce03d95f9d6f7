"""Reads for actions.

The reads every in-app flow makes are plain SQL (see ``recognize_project.sql``).
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import EndUser, Tenant
from actions import conf
from actions.models import Action, Outcome
from devices.selectors import methods_in_order
from recognize_project import sql

_ACTION_WITH_USER = (
    f"SELECT {sql.columns(Action, 'a')}, {sql.columns(EndUser, 'u')} FROM actions_action a"  # noqa: S608 (model columns)
    " JOIN accounts_enduser u ON u.id = a.user_id"
    " WHERE a.tenant_id = %s AND a.idempotency_key = %s"
)
_CONFIGURED_OUTCOME = (
    "SELECT default_outcome FROM actions_actionconfig WHERE tenant_id = %s AND action_code = %s"
)
# One row per authenticator of the user (one with NULLs if none), each with the outcome.
_TRACK_CONTEXT = (
    f"SELECT {sql.columns(EndUser, 'u')}, a.verification_method, ({_CONFIGURED_OUTCOME})"  # noqa: S608 (model columns)
    " FROM accounts_enduser u LEFT JOIN devices_authenticator a ON a.user_id = u.id"
    " WHERE u.tenant_id = %s AND u.external_id = %s"
)


def action_get(
    *,
    tenant: Tenant,
    idempotency_key: str,
    user_id: str | None = None,
    action_code: str | None = None,
) -> Action | None:
    """The action with ``idempotency_key`` (and the given user and code, when named), with its
    user and tenant loaded."""
    key = idempotency_key_parse(idempotency_key)
    if key is None:
        return None
    query, params = _ACTION_WITH_USER, [tenant.pk, key]
    if user_id is not None:
        query, params = f"{query} AND u.external_id = %s", [*params, user_id]
    if action_code is not None:
        query, params = f"{query} AND a.action_code = %s", [*params, action_code]
    row = sql.fetch_one(query, params)
    if row is None:
        return None
    action, user = sql.instances_from_row(row, Action, EndUser)
    action.user, action.tenant = user, tenant
    return action


def idempotency_key_parse(value: str) -> uuid.UUID | None:
    """An idempotency key as a UUID, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _outcome(configured: str | None) -> tuple[str, str]:
    if configured:
        return configured, "action_config"
    return Outcome(conf.ACTIONS_DEFAULT_OUTCOME), "default"


def action_outcome(*, tenant: Tenant, action_code: str) -> tuple[str, str]:
    """The default outcome for ``action_code`` and where it came from."""
    configured = sql.fetch_one(_CONFIGURED_OUTCOME, [tenant.pk, action_code])
    return _outcome(configured[0] if configured else None)


@dataclass(frozen=True)
class TrackContext:
    """What tracking an action of a known user decides on."""

    user: EndUser
    enrolled_methods: list[str]
    outcome: tuple[str, str]


def track_context_get(*, tenant: Tenant, user_id: str, action_code: str) -> TrackContext | None:
    """The user ``user_id`` with their ``enrolled_methods`` and the ``action_outcome`` of
    ``action_code``, in one query (every track asks it); None for a user not seen yet."""
    rows = sql.fetch_all(_TRACK_CONTEXT, [tenant.pk, action_code, tenant.pk, user_id])
    if not rows:
        return None
    user = sql.instance_from_row(EndUser, rows[0][:-2])
    user.tenant = tenant
    methods = methods_in_order(row[-2] for row in rows)
    return TrackContext(user, methods, _outcome(rows[0][-1]))


#: The most actions ``action_list`` returns (the newest).
ACTION_LIST_MAX = 1000


def action_list(
    *,
    tenant: Tenant,
    user_id: str,
    action_codes: Collection[str] = (),
    state: str = "",
    from_date: datetime | None = None,
) -> QuerySet[Action]:
    """The actions of the user ``user_id`` of ``tenant``, newest first, at most
    ``ACTION_LIST_MAX``: only those with one of ``action_codes``, in ``state`` and created at
    or after ``from_date``, where given."""
    actions = Action.objects.filter(tenant=tenant, user__external_id=user_id)
    if action_codes:
        actions = actions.filter(action_code__in=list(action_codes))
    if state:
        actions = actions.filter(state=state)
    if from_date is not None:
        actions = actions.filter(created_at__gte=from_date)
    return actions.order_by("-created_at")[:ACTION_LIST_MAX]
