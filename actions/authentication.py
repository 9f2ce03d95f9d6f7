"""Bearer authentication of apps with an action token."""

from dataclasses import dataclass

from rest_framework import authentication

from accounts import selectors as account_selectors
from accounts.models import Tenant
from accounts.origins import origin_check
from actions.tokens import ActionToken, token_decode
from recognize_project.errors import ApplicationError


@dataclass(frozen=True)
class TokenCredentials:
    """An app request carrying a valid action token."""

    tenant: Tenant
    token: ActionToken


def request_token(request) -> ActionToken | None:
    """The action token an app request was authenticated with, or None (tenant id only)."""
    return getattr(request.auth, "token", None)


class ActionTokenAuthentication(authentication.BaseAuthentication):
    """Accepts ``Authorization: Bearer <action token>``.

    The token is signed by the server and names its tenant, so the tenant's settings may come
    from the short-lived per-process cache (see ``tenant_get_cached`` for what may be stale).
    """

    def authenticate(self, request):
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token_decode(value.strip())
        tenant = account_selectors.tenant_get_cached(tenant_id=token.tenant_id)
        if tenant is None:
            raise ApplicationError("invalid_token", "The token is not valid.", status=401)
        origin_check(request, tenant)
        return None, TokenCredentials(tenant, token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="recognize"'
