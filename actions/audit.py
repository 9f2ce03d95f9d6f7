"""The audit log: one append-only row per thing that happened to an account.

Callers name the event and pass ids or names in ``detail``; secrets, codes and biometric data
never go in. Where a web request caused the event, its address and user agent are kept.
"""

from django.http import HttpRequest

from accounts.models import EndUser, Tenant
from actions.models import AuditEvent


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def audit_record(
    *,
    tenant: Tenant,
    event_type: str,
    user: EndUser | None = None,
    request: HttpRequest | None = None,
    **detail: object,
) -> AuditEvent:
    """Append ``event_type`` for ``user`` of ``tenant`` to the audit log."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    return AuditEvent.objects.create(
        tenant=tenant,
        user=user,
        event_type=event_type,
        ip_address=_client_ip(request),
        user_agent=user_agent,
        detail={key: str(value) for key, value in detail.items()},
    )
