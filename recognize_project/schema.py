"""OpenAPI descriptions of the three ways to authenticate, for drf-spectacular."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class _HttpScheme(OpenApiAuthenticationExtension):
    """An HTTP authentication scheme; subclasses name the class, scheme and credential."""

    scheme = "basic"
    description = ""

    def get_security_definition(self, auto_schema):
        definition = {"type": "http", "scheme": self.scheme, "description": self.description}
        if self.scheme == "bearer":
            definition["bearerFormat"] = "JWT"
        return definition


class SecretKeyScheme(_HttpScheme):
    target_class = "accounts.authentication.SecretKeyAuthentication"
    name = "secretKey"
    description = "The tenant's secret key as user name, empty password."


class TenantIdScheme(_HttpScheme):
    target_class = "accounts.authentication.TenantIdAuthentication"
    name = "tenantId"
    description = "The public tenant id as user name, empty password (apps)."


class ActionTokenScheme(_HttpScheme):
    target_class = "actions.authentication.ActionTokenAuthentication"
    name = "actionToken"
    scheme = "bearer"
    description = "An action token from track or from a successful challenge."
