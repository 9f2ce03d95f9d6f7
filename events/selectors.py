"""Reads of the event log."""

from accounts.models import EndUser
from events.models import AuditEvent


def audit_event_list(*, user: EndUser, limit: int = 20) -> list[AuditEvent]:
    """The newest ``limit`` audit events of ``user``, newest first."""
    return list(AuditEvent.objects.filter(user=user)[:limit])
