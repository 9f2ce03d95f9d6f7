"""Security key (roaming WebAuthn authenticator) endpoints of the client API, as
``@authsignal/browser`` 1.16.0 calls them (dist/index.js ``SecurityKeyApiClient``;
docs/compatibility.md c46–c49): always with the action token, options answered bare, and the
browser's credential JSON as the whole request body.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from actions import passkeys
from actions.authentication import request_token
from devices.models import VerificationMethod
from recognize_project.api import ClientAPIView, InputSerializer, parse

SECURITY_KEY = VerificationMethod.SECURITY_KEY


class EmptyInput(InputSerializer):
    pass


class CredentialInput(InputSerializer):
    """A ``RegistrationResponseJSON`` or ``AuthenticationResponseJSON`` (WebAuthn L3)."""

    id = serializers.CharField(max_length=1400)
    rawId = serializers.CharField(max_length=1400)
    type = serializers.CharField(max_length=32)
    response = serializers.JSONField()
    clientExtensionResults = serializers.JSONField(required=False)
    authenticatorAttachment = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True
    )


class SecurityKeyResultOutput(serializers.Serializer):
    isVerified = serializers.BooleanField()
    accessToken = serializers.CharField()


class SecurityKeyRegistrationOptionsView(ClientAPIView):
    @extend_schema(
        request=EmptyInput, responses={200: dict}, operation_id="security_key_registration_options"
    )
    def post(self, request):
        parse(EmptyInput, request.data)
        ceremony = passkeys.passkey_registration_begin(
            tenant=request.auth.tenant, token=request_token(request), method=SECURITY_KEY
        )
        return Response(ceremony.options)


class SecurityKeyView(ClientAPIView):
    @extend_schema(
        request=CredentialInput, responses=SecurityKeyResultOutput, operation_id="security_key_add"
    )
    def post(self, request):
        credential = dict(parse(CredentialInput, request.data))
        result = passkeys.passkey_registration_finish(
            tenant=request.auth.tenant,
            token=request_token(request),
            challenge_id=None,
            credential=credential,
            method=SECURITY_KEY,
        )
        return Response({"isVerified": True, "accessToken": result.token})


class SecurityKeyAuthenticationOptionsView(ClientAPIView):
    @extend_schema(
        request=EmptyInput,
        responses={200: dict},
        operation_id="security_key_authentication_options",
    )
    def post(self, request):
        parse(EmptyInput, request.data)
        ceremony = passkeys.passkey_authentication_begin(
            tenant=request.auth.tenant, token=request_token(request), method=SECURITY_KEY
        )
        return Response(ceremony.options)


class SecurityKeyVerifyView(ClientAPIView):
    @extend_schema(
        request=CredentialInput,
        responses=SecurityKeyResultOutput,
        operation_id="security_key_verify",
    )
    def post(self, request):
        credential = dict(parse(CredentialInput, request.data))
        result = passkeys.passkey_verify(
            tenant=request.auth.tenant,
            token=request_token(request),
            challenge_id=None,
            credential=credential,
            method=SECURITY_KEY,
        )
        return Response({"isVerified": True, "accessToken": result.token})
