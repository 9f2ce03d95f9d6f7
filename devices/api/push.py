"""Client API for push credentials: register an app install for push, update its gateway
registration, remove it; and the VAPID public key browsers subscribe with."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from devices import push_credentials
from devices.api.views import SignedRemoveView, credential_add
from devices.models import PushChannel
from devices.push import vapid_public_key
from recognize_project.api import ClientAPIView, InputSerializer, parse
from recognize_project.fields import DEVICE_NAME_MAX, DEVICE_PLATFORM_MAX, DisplayTextField


class PushAddInput(InputSerializer):
    publicKey = serializers.CharField(max_length=1024)
    deviceName = DisplayTextField(required=False, allow_blank=True, clean_length=DEVICE_NAME_MAX)
    devicePlatform = DisplayTextField(
        required=False, allow_blank=True, clean_length=DEVICE_PLATFORM_MAX
    )
    channel = serializers.ChoiceField(choices=PushChannel.values, required=False, default="POLL")
    registration = serializers.DictField(
        required=False,
        help_text="WEB_PUSH: a PushSubscription {endpoint, keys: {p256dh, auth}}; "
        "FCM: {token}; APNS: {deviceToken}; POLL: nothing.",
    )


class PushRegistrationInput(InputSerializer):
    publicKey = serializers.CharField(max_length=1024)
    challengeId = serializers.CharField(
        max_length=64, help_text="A nonce for push.register from POST /v1/client/device-challenge."
    )
    signature = serializers.CharField(
        max_length=256, help_text="Over device_request_message (recognize_sdk/proof.py)."
    )
    channel = serializers.ChoiceField(choices=PushChannel.values)
    registration = serializers.DictField(required=False)


class PushCredentialOutput(serializers.Serializer):
    userAuthenticatorId = serializers.UUIDField(source="id")
    userId = serializers.CharField(source="user.external_id")
    deviceId = serializers.UUIDField(source="device_id")
    verifiedAt = serializers.DateTimeField(source="created_at")


class PushCredentialView(ClientAPIView):
    """``POST``: make this install a push authenticator (token with ``add:authenticators``)."""

    @extend_schema(request=PushAddInput, responses=PushCredentialOutput, operation_id="push_add")
    def post(self, request):
        authenticator = credential_add(
            request,
            PushAddInput,
            lambda user, public_key, data: push_credentials.push_credential_add(
                user=user,
                public_key=public_key,
                channel=data["channel"],
                registration=data.get("registration"),
                device_name=data.get("deviceName", ""),
                device_platform=data.get("devicePlatform", ""),
            ),
        )
        return Response(PushCredentialOutput(authenticator).data)


class PushRegistrationView(ClientAPIView):
    """``POST``: a new gateway registration for this install (signed under a nonce)."""

    @extend_schema(
        request=PushRegistrationInput, responses=None, operation_id="push_registration_update"
    )
    def post(self, request):
        data = parse(PushRegistrationInput, request.data)
        registration = push_credentials.push_registration_update(
            tenant=request.auth.tenant,
            public_key=data["publicKey"],
            signature=data["signature"],
            challenge_id=data["challengeId"],
            fields=request.data,
            channel=data["channel"],
            registration=data.get("registration"),
        )
        return Response({"channel": registration.channel, "enabled": True})


@extend_schema_view(post=extend_schema(operation_id="push_remove"))
class PushRemoveView(SignedRemoveView):
    """``POST``: stop receiving push challenges on this install (its other credentials stay)."""

    remove = staticmethod(push_credentials.push_credential_remove)


class VapidKeyView(ClientAPIView):
    """The server's VAPID public key: the ``applicationServerKey`` a browser subscribes with."""

    @extend_schema(responses=None, operation_id="push_vapid_key")
    def get(self, request):
        return Response({"publicKey": vapid_public_key()})
