"""Input and output shapes of the face API."""

from rest_framework import serializers

from biometrics import conf
from recognize_project.api import InputSerializer
from recognize_project.fields import DEVICE_NAME_MAX, DEVICE_PLATFORM_MAX, DisplayTextField

_IMAGE_CHARS = conf.BIOMETRICS_MAX_IMAGE_BYTES * 4 // 3 + 8


class _DeviceProofInput(InputSerializer):
    challengeId = serializers.CharField(max_length=64)
    publicKey = serializers.CharField(max_length=1024)
    signature = serializers.CharField(max_length=256)
    image = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=_IMAGE_CHARS,
        help_text="Upload mode: the photo (JPEG/PNG/WebP), base64.",
    )
    seed = serializers.CharField(
        required=False, max_length=64, help_text="Upload mode: the 32-byte template seed, base64."
    )


class FaceEnrollInput(_DeviceProofInput):
    protectedTemplate = serializers.CharField(
        required=False,
        max_length=1024,
        help_text="On-device mode: the protected template, base64 little-endian float32[128].",
    )


class FaceAuthenticateInput(_DeviceProofInput):
    protectedProbe = serializers.CharField(
        required=False,
        max_length=1024,
        help_text="On-device mode: the protected probe, base64 little-endian float32[128].",
    )


class FaceJobOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["PENDING", "SUCCEEDED"])
    jobId = serializers.UUIDField()
    userId = serializers.CharField(required=False)
    userAuthenticatorId = serializers.UUIDField(required=False)
    verificationMethod = serializers.CharField(required=False)
    state = serializers.CharField(required=False)
    token = serializers.CharField(required=False)
    idempotencyKey = serializers.UUIDField(required=False)


class FaceDeenrollOutput(serializers.Serializer):
    removedAuthenticatorId = serializers.UUIDField()


class RecoveryCompleteInput(InputSerializer):
    clientState = serializers.CharField(max_length=2048, help_text="The stored client state.")
    image = serializers.CharField(
        max_length=_IMAGE_CHARS, help_text="A fresh selfie (JPEG/PNG/WebP), base64."
    )
    newSeed = serializers.CharField(
        max_length=64, help_text="The new device's 32-byte template seed, base64."
    )
    publicKey = serializers.CharField(max_length=1024, help_text="The new device's P-256 key.")
    signature = serializers.CharField(
        max_length=256,
        help_text="By the new key over proof_message(challengeId, image bytes + newSeed bytes).",
    )
    challengeId = serializers.CharField(max_length=64)
    deviceName = DisplayTextField(required=False, allow_blank=True, clean_length=DEVICE_NAME_MAX)
    devicePlatform = DisplayTextField(
        required=False, allow_blank=True, clean_length=DEVICE_PLATFORM_MAX
    )


class RecoveryJobOutput(FaceJobOutput):
    deviceId = serializers.UUIDField(required=False, help_text="The new device, once bound.")
