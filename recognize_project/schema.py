"""The OpenAPI schema's shared parts, for drf-spectacular: the three ways to authenticate and
the error responses every operation may give.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorResponse(serializers.Serializer):
    """The API's error body (one shape for every error; more keys may be added)."""

    error = serializers.CharField(help_text="The same code as errorCode (read by some SDKs).")
    errorCode = serializers.CharField(help_text="Stable, machine-readable code.")
    errorDescription = serializers.CharField(help_text="A sentence for people.")


#: The errors any operation may answer with, and when.
_ERRORS = {
    "400": "The request is malformed or a field is invalid (errorCode names the problem).",
    "404": "The user, action, device or other resource named in the path does not exist.",
    "405": "The method is not allowed on this path.",
    "409": "The request conflicts with the current state (e.g. a key bound elsewhere).",
    "413": "The request body is too large.",
    "415": "The request body is not application/json.",
    "429": "Too many requests or attempts; Retry-After says when to try again.",
}
_AUTH_ERRORS = {
    "401": "Missing or wrong credentials (errorCode unauthorized).",
    "403": "The credentials do not allow this (scope, tenant, or a locked authenticator).",
}


class RecognizeAutoSchema(AutoSchema):
    """drf-spectacular's schema, with every 4xx the API answers documented on each operation
    as the shared ``ErrorResponse`` component (schemathesis checks responses against it)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(_ERRORS)
        if getattr(self.view, "authentication_classes", None):
            errors.update(_AUTH_ERRORS)
        for code, description in sorted(errors.items()):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorResponse, description=description), code, None, direction
                )
        return responses


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
