"""Input and output shapes of the authenticators, devices and in-app credential APIs."""

from rest_framework import serializers

from devices.methods import WIRE_CHOICES, method_to_wire
from devices.models import Authenticator, Device, DeviceRequestPurpose, VerificationMethod
from recognize_project.api import InputSerializer
from recognize_project.fields import (
    DEVICE_NAME_MAX,
    DEVICE_PLATFORM_MAX,
    DisplayTextField,
    PhoneNumberField,
)


class AuthenticatorEnrollInput(InputSerializer):
    verificationMethod = serializers.ChoiceField(choices=WIRE_CHOICES)
    email = serializers.EmailField(required=False, allow_blank=True)
    phoneNumber = PhoneNumberField(required=False, allow_blank=True)
    isDefault = serializers.BooleanField(required=False)


class AuthenticatorOutput(serializers.Serializer):
    userAuthenticatorId = serializers.UUIDField(source="id")
    userId = serializers.CharField(source="user.external_id")
    verificationMethod = serializers.CharField(source="verification_method")
    email = serializers.CharField(allow_null=True)
    phoneNumber = serializers.CharField(source="phone_number", allow_null=True)
    deviceId = serializers.UUIDField(source="device_id", allow_null=True)
    isDefault = serializers.BooleanField(source="is_default")
    createdAt = serializers.DateTimeField(source="created_at")
    verifiedAt = serializers.DateTimeField(source="created_at")
    lastVerifiedAt = serializers.DateTimeField(source="last_verified_at", allow_null=True)

    def to_representation(self, instance: Authenticator) -> dict:
        data = super().to_representation(instance)
        data["email"] = data["email"] or None
        data["phoneNumber"] = data["phoneNumber"] or None
        if instance.verification_method in (
            VerificationMethod.PASSKEY,
            VerificationMethod.SECURITY_KEY,
        ):
            data["webauthnCredential"] = webauthn_credential_output(instance)
        data["verificationMethod"] = method_to_wire(data["verificationMethod"])
        return data


def webauthn_credential_output(authenticator: Authenticator) -> dict:
    """A passkey's public facts, as the SDKs' ``webauthnCredential`` (node src/types.ts
    ``UserAuthenticator``, browser dist/api/types/shared.d.ts)."""
    passkey = authenticator.passkey
    verified_at = authenticator.created_at.isoformat() if authenticator.created_at else None
    return {
        "credentialId": passkey.credential_id,
        "name": passkey.name,
        "aaguid": passkey.aaguid,
        "credentialBackedUp": passkey.backed_up,
        "credentialDeviceType": "multiDevice" if passkey.backup_eligible else "singleDevice",
        "verifiedAt": verified_at,
    }


class AuthenticatorEnrollOutput(serializers.Serializer):
    authenticator = AuthenticatorOutput()


class DeviceOutput(serializers.Serializer):
    deviceId = serializers.UUIDField(source="id")
    type = serializers.CharField()
    name = serializers.CharField()
    platform = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    lastUsedAt = serializers.DateTimeField(source="last_used_at", allow_null=True)
    userAuthenticatorIds = serializers.SerializerMethodField()

    def get_userAuthenticatorIds(self, device: Device) -> list[str]:
        return [str(a.id) for a in device.authenticators.all()]


class InAppAddInput(InputSerializer):
    publicKey = serializers.CharField(max_length=1024)
    deviceName = DisplayTextField(required=False, allow_blank=True, clean_length=DEVICE_NAME_MAX)
    devicePlatform = DisplayTextField(
        required=False, allow_blank=True, clean_length=DEVICE_PLATFORM_MAX
    )
    userAuthenticationRequired = serializers.BooleanField(required=False, default=False)
    appAttestation = serializers.DictField(required=False, allow_null=True)


class InAppCredentialOutput(serializers.Serializer):
    userAuthenticatorId = serializers.UUIDField(source="id")
    userId = serializers.CharField(source="user.external_id")
    deviceId = serializers.UUIDField(source="device_id")
    verifiedAt = serializers.DateTimeField(source="created_at")
    lastVerifiedAt = serializers.DateTimeField(source="last_verified_at", allow_null=True)


class InAppRemoveInput(InputSerializer):
    publicKey = serializers.CharField(max_length=1024)
    signature = serializers.CharField(
        max_length=256,
        help_text="Over device_request_message with challengeId (recognize_sdk/proof.py); "
        "without challengeId, the official SDKs' signature of the current ten-minute window, "
        "accepted once.",
    )
    challengeId = serializers.CharField(
        required=False, max_length=64, help_text="A nonce from POST /v1/client/device-challenge."
    )


class DeviceChallengeInput(InputSerializer):
    publicKey = serializers.CharField(max_length=1024)
    purpose = serializers.ChoiceField(choices=DeviceRequestPurpose.values)


class DeviceChallengeOutput(serializers.Serializer):
    challengeId = serializers.CharField(source="id")
    purpose = serializers.CharField()
    expiresAt = serializers.DateTimeField(source="expires_at")


class InAppRemoveOutput(serializers.Serializer):
    removedAuthenticatorId = serializers.UUIDField()


class ClientStateCreateInput(InputSerializer):
    type = serializers.ChoiceField(choices=["BACKUP", "TEMPORARY"])
    seed = serializers.CharField(
        max_length=64, help_text="The 32-byte seed the face was enrolled under, base64."
    )
    challengeId = serializers.CharField(max_length=64)
    publicKey = serializers.CharField(max_length=1024)
    signature = serializers.CharField(
        max_length=256, help_text="By the bound device key over proof_message(challengeId, seed)."
    )


class ClientStateOutput(serializers.Serializer):
    deviceId = serializers.UUIDField()
    clientState = serializers.CharField(help_text="Opaque; the tenant's backend stores it.")
    type = serializers.CharField()
    expiresAt = serializers.DateTimeField(required=False, allow_null=True)
