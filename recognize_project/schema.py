"""OpenAPI descriptions of the three ways to authenticate, for drf-spectacular."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SecretKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SecretKeyAuthentication"
    name = "secretKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The tenant's secret key as user name, empty password.",
        }


class TenantIdScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.TenantIdAuthentication"
    name = "tenantId"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The public tenant id as user name, empty password (apps).",
        }


class ActionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "actions.authentication.ActionTokenAuthentication"
    name = "actionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An action token from track or from a successful challenge.",
        }
