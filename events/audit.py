"""The audit log: one append-only row per thing that happened to an account.

Callers name the event and pass ids or names in ``detail``; secrets, codes and biometric data
never go in. The client's address and user agent come from the request being served, which
``RequestContextMiddleware`` notes for the duration of each request, so services deep down
need no request parameter (a Celery task has none: those rows carry no address).
"""

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

from accounts.models import EndUser, Tenant
from events.models import AuditEvent
from recognize_project import sql

_client: ContextVar[tuple[str | None, str]] = ContextVar("audit_client", default=(None, ""))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        return hops[-min(proxies, len(hops))] or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Notes the client's address and user agent for the audit rows a request writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client.set((client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300]))
        try:
            return self.get_response(request)
        finally:
            _client.reset(token)


def audit_event_new(
    *, tenant: Tenant, event_type: str, user: EndUser | None = None, **detail: object
) -> AuditEvent:
    """The (unsaved) audit row for ``event_type`` of ``user`` in the request being served."""
    ip_address, user_agent = _client.get()
    return AuditEvent(
        tenant=tenant,
        user=user,
        event_type=event_type,
        ip_address=ip_address,
        user_agent=user_agent,
        detail={key: str(value) for key, value in detail.items()},
    )


def audit_record(
    *, tenant: Tenant, event_type: str, user: EndUser | None = None, **detail: object
) -> AuditEvent:
    """Append ``event_type`` for ``user`` of ``tenant`` to the audit log."""
    event = audit_event_new(tenant=tenant, event_type=event_type, user=user, **detail)
    sql.insert(event)  # one plain INSERT: this runs on every verification
    return event
