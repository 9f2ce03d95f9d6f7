"""DRF authentication for the tenant's backend (secret key) and for apps (public tenant id).

Both use HTTP Basic with the credential as user name and an empty password, as Authsignal's
SDKs do; the mobile SDKs encode it with URL-safe base64, so both alphabets are accepted.
"""

import base64
import binascii
from dataclasses import dataclass

from rest_framework import authentication, exceptions

from accounts import selectors
from accounts.models import Tenant
from accounts.origins import origin_check


@dataclass(frozen=True)
class BackendCredentials:
    """A request from a tenant's backend, authenticated by its secret key."""

    tenant: Tenant


@dataclass(frozen=True)
class AppCredentials:
    """A request from an app that names its tenant by the public tenant id only."""

    tenant: Tenant


def basic_username(request) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header, or None if there is none."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    value = value.strip()
    padded = value + "=" * (-len(value) % 4)
    try:
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return decoded.decode("utf-8").partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from None


class SecretKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a tenant's backend by its secret key."""

    def authenticate(self, request):
        secret = basic_username(request)
        if secret is None:
            return None
        tenant = selectors.tenant_get_by_secret_key(secret=secret)
        if tenant is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked secret key.")
        return None, BackendCredentials(tenant)

    def authenticate_header(self, request) -> str:
        return 'Basic realm="recognize"'


class TenantIdAuthentication(authentication.BaseAuthentication):
    """Identifies the tenant of an app request by its public tenant id."""

    def authenticate(self, request):
        tenant_id = basic_username(request)
        if tenant_id is None:
            return None
        tenant = selectors.tenant_get(tenant_id=tenant_id)
        if tenant is None:
            raise exceptions.AuthenticationFailed("Unknown tenant id.")
        origin_check(request, tenant)
        return None, AppCredentials(tenant)

    def authenticate_header(self, request) -> str:
        return 'Basic realm="recognize"'
