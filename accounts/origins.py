"""Browser origins a tenant allows on the client API (CORS) and for its passkeys (WebAuthn).

The official browser SDK calls the client API from the tenant's own site, another origin than
Recognize's. ``django-cors-headers`` answers for ``/v1/client/`` only (``CORS_URLS_REGEX``) and
asks ``cors_request_allowed`` whether an origin may read a response:

- a request whose tenant is known (its action token or tenant id authenticated, which marks the
  request with ``request_tenant_mark``) gets CORS headers only for that tenant's origins;
- a preflight names no tenant (browsers send it without the ``Authorization`` header), so it is
  answered for an origin that some tenant allows; the request that follows is then held to its
  own tenant's list by ``origin_check``, which refuses it before anything changes.

A request without an ``Origin`` header (the mobile SDKs, servers) is not a browser's and passes.
"""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.db.models.functions import Cast

from accounts.models import Tenant
from accounts.validators import origin_normalize
from recognize_project.errors import ApplicationError

_TENANT_ATTRIBUTE = "recognize_tenant"
CLIENT_API_PREFIX = "/v1/client/"


def _own_origin() -> str:
    return origin_normalize(settings.RECOGNIZE_PUBLIC_URL)


def tenant_origin_allowed(*, tenant: Tenant, origin: str) -> bool:
    """Whether a page at ``origin`` may call the client API for ``tenant``."""
    return origin in (tenant.allowed_origins or []) or origin == _own_origin()


def origin_allowed_by_any_tenant(*, origin: str) -> bool:
    """Whether some tenant allows ``origin`` (what a preflight, which names no tenant, gets)."""
    if origin == _own_origin():
        return True
    try:
        origin = origin_normalize(origin)
    except ValidationError:
        return False
    # A JSON list's text holds each origin as a quoted string (origins need no escaping);
    # the exact check below rules out a longer origin that merely contains this one.
    candidates = (
        Tenant.objects.annotate(origins_text=Cast("allowed_origins", TextField()))
        .filter(origins_text__contains=json.dumps(origin))
        .values_list("allowed_origins", flat=True)
    )
    return any(origin in origins for origins in candidates)


def request_tenant_mark(request, tenant: Tenant) -> None:
    """Remember the authenticated tenant of a client API request, for the CORS headers."""
    setattr(getattr(request, "_request", request), _TENANT_ATTRIBUTE, tenant)


def origin_check(request, tenant: Tenant) -> None:
    """Refuse (403 ``origin_not_allowed``) a browser request from an origin ``tenant`` does not
    allow, and mark the request with its tenant."""
    request_tenant_mark(request, tenant)
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None and not tenant_origin_allowed(tenant=tenant, origin=origin):
        raise ApplicationError(
            "origin_not_allowed",
            "This origin is not allowed for the tenant; add it to the tenant's allowed origins.",
            status=403,
        )


def cors_request_allowed(sender, request, **kwargs) -> bool:
    """``corsheaders.signals.check_request_enabled`` receiver: may ``request``'s origin read
    the response?"""
    # The middleware also asks this to decide whether CORS applies to a path at all: never
    # outside the client API, whatever the origin.
    if not request.path_info.startswith(CLIENT_API_PREFIX):
        return False
    origin = request.headers.get("origin", "")
    tenant = getattr(request, _TENANT_ATTRIBUTE, None)
    if tenant is not None:
        return tenant_origin_allowed(tenant=tenant, origin=origin)
    return origin_allowed_by_any_tenant(origin=origin)
