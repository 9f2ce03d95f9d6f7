"""Passkey (WebAuthn) endpoints of the client API, as the official SDKs call them.

Paths, auth schemes and fields from ``@authsignal/browser`` 1.16.0
(tests/sdk_clients/browser/node_modules/@authsignal/browser/dist/index.js,
``PasskeyApiClient``) and docs/compatibility.md rows c38, c40, c41, c43 and c44 (the Android
and iOS SDKs' ``PasskeyAPI`` send the same bodies plus ``displayName`` and ``deviceId``).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from actions import passkeys
from actions.api.serializers import AsciiField
from actions.authentication import request_token
from devices import selectors as device_selectors
from devices.api.serializers import webauthn_credential_output
from devices.models import Authenticator
from recognize_project.api import ClientAPIView, InputSerializer, parse
from recognize_project.errors import ApplicationError


class RegistrationOptionsInput(InputSerializer):
    username = serializers.CharField(max_length=255, required=False, allow_blank=True)
    displayName = serializers.CharField(max_length=255, required=False, allow_blank=True)
    authenticatorAttachment = serializers.ChoiceField(
        ["platform", "cross-platform"], required=False, allow_null=True
    )


class PasskeyAddInput(InputSerializer):
    challengeId = AsciiField(max_length=64)
    registrationCredential = serializers.JSONField()
    conditionalCreate = serializers.BooleanField(required=False)
    deviceId = serializers.CharField(max_length=255, required=False, allow_blank=True)


class AuthenticationOptionsInput(InputSerializer):
    challengeId = AsciiField(max_length=64, required=False, allow_null=True)


class PasskeyVerifyInput(InputSerializer):
    challengeId = AsciiField(max_length=64)
    authenticationCredential = serializers.JSONField()
    deviceId = serializers.CharField(max_length=255, required=False, allow_blank=True)


class CeremonyOutput(serializers.Serializer):
    challengeId = serializers.CharField()
    options = serializers.DictField()


class PasskeyAddOutput(serializers.Serializer):
    isVerified = serializers.BooleanField()
    accessToken = serializers.CharField()
    userAuthenticatorId = serializers.CharField()
    userId = serializers.CharField()
    userAuthenticator = serializers.DictField()


class PasskeyVerifyOutput(serializers.Serializer):
    isVerified = serializers.BooleanField()
    accessToken = serializers.CharField()
    userId = serializers.CharField()
    userAuthenticatorId = serializers.CharField()
    username = serializers.CharField(allow_null=True)
    userDisplayName = serializers.CharField(allow_null=True)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def passkey_authenticator_output(authenticator: Authenticator) -> dict:
    """The SDKs' ``Authenticator`` of a passkey (browser dist/api/types/shared.d.ts)."""
    return {
        "userAuthenticatorId": str(authenticator.pk),
        "verificationMethod": authenticator.verification_method,
        "createdAt": _iso(authenticator.created_at),
        "verifiedAt": _iso(authenticator.created_at),
        "lastVerifiedAt": _iso(authenticator.last_verified_at),
        "webauthnCredential": webauthn_credential_output(authenticator),
    }


class RegistrationOptionsView(ClientAPIView):
    @extend_schema(
        request=RegistrationOptionsInput,
        responses=CeremonyOutput,
        operation_id="passkey_registration_options",
    )
    def post(self, request):
        data = parse(RegistrationOptionsInput, request.data)
        ceremony = passkeys.passkey_registration_begin(
            tenant=request.auth.tenant,
            token=request_token(request),
            username=data.get("username", ""),
            display_name=data.get("displayName", ""),
            authenticator_attachment=data.get("authenticatorAttachment"),
        )
        return Response({"challengeId": ceremony.challenge.id, "options": ceremony.options})


class PasskeyView(ClientAPIView):
    """``POST`` adds a passkey (action token); ``GET`` finds one by credential id (tenant id)."""

    @extend_schema(request=PasskeyAddInput, responses=PasskeyAddOutput, operation_id="passkey_add")
    def post(self, request):
        data = parse(PasskeyAddInput, request.data)
        result = passkeys.passkey_registration_finish(
            tenant=request.auth.tenant,
            token=request_token(request),
            challenge_id=data["challengeId"],
            credential=data["registrationCredential"],
        )
        return Response(
            {
                "isVerified": True,
                "accessToken": result.token,
                "userAuthenticatorId": str(result.authenticator.pk),
                "userId": result.authenticator.user.external_id,
                "userAuthenticator": passkey_authenticator_output(result.authenticator),
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("credentialIds", str, description="comma-separated (browser)"),
            OpenApiParameter("credentialId", str, description="one (Android, iOS)"),
        ],
        responses={200: dict},
        operation_id="passkey_get",
    )
    def get(self, request):
        query = request.query_params
        ids = [i for i in query.get("credentialIds", query.get("credentialId", "")).split(",") if i]
        authenticator = device_selectors.passkey_authenticator_find(
            tenant=request.auth.tenant, credential_ids=ids[:20]
        )
        if authenticator is None:
            raise ApplicationError("credential_not_found", "No passkey has this id.", status=404)
        return Response(
            {
                "credentialId": authenticator.passkey.credential_id,
                "verifiedAt": _iso(authenticator.created_at),
                "lastVerifiedAt": _iso(authenticator.last_verified_at),
                "userAuthenticatorId": str(authenticator.pk),
            }
        )


class AuthenticationOptionsView(ClientAPIView):
    @extend_schema(
        request=AuthenticationOptionsInput,
        responses=CeremonyOutput,
        operation_id="passkey_authentication_options",
    )
    def post(self, request):
        data = parse(AuthenticationOptionsInput, request.data)
        ceremony = passkeys.passkey_authentication_begin(
            tenant=request.auth.tenant,
            token=request_token(request),
            challenge_id=data.get("challengeId"),
        )
        return Response({"challengeId": ceremony.challenge.id, "options": ceremony.options})


class PasskeyVerifyView(ClientAPIView):
    @extend_schema(
        request=PasskeyVerifyInput, responses=PasskeyVerifyOutput, operation_id="passkey_verify"
    )
    def post(self, request):
        data = parse(PasskeyVerifyInput, request.data)
        result = passkeys.passkey_verify(
            tenant=request.auth.tenant,
            token=request_token(request),
            challenge_id=data["challengeId"],
            credential=data["authenticationCredential"],
        )
        user = result.authenticator.user
        return Response(
            {
                "isVerified": True,
                "accessToken": result.token,
                "userId": user.external_id,
                "userAuthenticatorId": str(result.authenticator.pk),
                "username": user.username or None,
                "userDisplayName": user.display_name or None,
            }
        )
