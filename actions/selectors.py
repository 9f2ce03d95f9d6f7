"""Reads for actions."""

import uuid

from accounts.models import Tenant
from actions import conf
from actions.models import Action, ActionConfig, Outcome


def action_get(
    *,
    tenant: Tenant,
    idempotency_key: str,
    user_id: str | None = None,
    action_code: str | None = None,
) -> Action | None:
    """The action with ``idempotency_key`` (and the given user and code, when named)."""
    try:
        key = uuid.UUID(str(idempotency_key))
    except ValueError:
        return None
    filters = {"tenant": tenant, "idempotency_key": key}
    if user_id is not None:
        filters["user__external_id"] = user_id
    if action_code is not None:
        filters["action_code"] = action_code
    return Action.objects.select_related("user", "tenant").filter(**filters).first()


def action_outcome(*, tenant: Tenant, action_code: str) -> tuple[str, str]:
    """The default outcome for ``action_code`` and where it came from."""
    configured = (
        ActionConfig.objects.filter(tenant=tenant, action_code=action_code)
        .values_list("default_outcome", flat=True)
        .first()
    )
    if configured:
        return configured, "action_config"
    return Outcome(conf.ACTIONS_DEFAULT_OUTCOME), "default"
