"""The event an action records when its outcome changes (``action.updated``)."""

from actions.models import Action
from events.services import event_record


def action_event_detail(action: Action) -> dict[str, object]:
    """What an ``action.updated`` event says of ``action``."""
    return {
        "actionCode": action.action_code,
        "idempotencyKey": action.idempotency_key,
        "state": action.state,
        "verificationMethod": action.verification_method or "",
    }


def action_event(action: Action, event_type: str = "action.updated", **detail: object) -> None:
    """``action.updated`` (audited: it is an authentication's outcome) for ``action``."""
    event_record(
        tenant=action.tenant,
        user=action.user,
        event_type=event_type,
        **action_event_detail(action),
        **detail,
    )
