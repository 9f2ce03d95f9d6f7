"""Server API for challenges the tenant's backend starts: ``POST /v1/challenge``,
``POST /v1/verify``, ``POST /v1/claim`` and ``GET | POST /v1/challenges``.

Shapes from @authsignal/node src/authsignal.ts ``challenge``, ``verify``, ``claimChallenge``,
``getChallenge`` and src/types.ts (authsignal/authsignal-node); authsignal-dotnet
src/Authsignal.cs ``GetChallenge`` sends POST with a JSON body, served here too. ``expiresAt``
is a number: Unix seconds.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from actions import conf
from actions.api.serializers import AsciiField
from actions.server_challenges import challenge_claim, claimed_action_complete
from devices.factors import code_challenges
from devices.models import CodeChallenge, CodeChannel
from recognize_project.api import InputSerializer, ServerAPIView, parse
from recognize_project.errors import ApplicationError
from recognize_project.fields import ACTION_CODE_PATTERN, USER_ID_MAX, PhoneNumberField

#: Wire verification method (and smsChannel) → channel.
_CHANNELS = {
    "EMAIL_OTP": CodeChannel.EMAIL,
    "SMS": CodeChannel.SMS,
    "SMS_OTP": CodeChannel.SMS,
    "WHATSAPP": CodeChannel.WHATSAPP,
}
#: Channel → the method name the API shows.
_METHOD_SHOWN = {
    CodeChannel.EMAIL: "EMAIL_OTP",
    CodeChannel.SMS: "SMS",
    CodeChannel.WHATSAPP: "WHATSAPP",
}
#: ``failureReason`` for the errors a verification raises (src/types.ts VerificationFailureReason).
_FAILURE_REASONS = {
    "invalid_code": "CODE_INVALID_OR_EXPIRED",
    "authenticator_locked": "MAX_ATTEMPTS_EXCEEDED",
    "challenge_attempts_exceeded": "MAX_ATTEMPTS_EXCEEDED",
}


class ChallengeStartInput(InputSerializer):
    verificationMethod = serializers.ChoiceField(choices=sorted(_CHANNELS))
    action = serializers.RegexField(ACTION_CODE_PATTERN, required=False)
    idempotencyKey = serializers.UUIDField(required=False)
    userId = serializers.CharField(max_length=USER_ID_MAX)
    email = serializers.EmailField(required=False, allow_blank=True)
    phoneNumber = PhoneNumberField(required=False, allow_blank=True)
    smsChannel = serializers.ChoiceField(choices=["DEFAULT", "SMS", "WHATSAPP"], required=False)
    locale = serializers.CharField(required=False, allow_blank=True, max_length=35)
    deviceId = serializers.CharField(required=False, allow_blank=True, max_length=255)
    ipAddress = serializers.IPAddressField(required=False, allow_blank=True)
    userAgent = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    custom = serializers.DictField(required=False)
    scope = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate_scope(self, value: str) -> str:
        unknown = set(value.split()) - conf.ACTIONS_ALLOWED_SCOPES
        if unknown:
            raise serializers.ValidationError(f"Unknown scope(s): {', '.join(sorted(unknown))}.")
        return " ".join(sorted(set(value.split())))


class ChallengeStartOutput(serializers.Serializer):
    challengeId = serializers.UUIDField()
    idempotencyKey = serializers.UUIDField()
    expiresAt = serializers.IntegerField()


class VerifyInput(InputSerializer):
    challengeId = AsciiField(max_length=64)
    verificationCode = serializers.CharField(max_length=32)


class VerifyOutput(serializers.Serializer):
    isVerified = serializers.BooleanField()
    email = serializers.CharField(allow_null=True)
    phoneNumber = serializers.CharField(allow_null=True)
    verificationMethod = serializers.CharField()
    failureReason = serializers.CharField(required=False)


class ClaimInput(InputSerializer):
    challengeId = AsciiField(max_length=64)
    userId = serializers.CharField(max_length=USER_ID_MAX)
    skipVerificationCheck = serializers.BooleanField(required=False)


class ClaimOutput(serializers.Serializer):
    token = serializers.CharField()
    verificationMethod = serializers.CharField()


class ChallengeQueryInput(InputSerializer):
    challengeId = AsciiField(required=False, max_length=64)
    userId = serializers.CharField(required=False, max_length=USER_ID_MAX)
    action = serializers.RegexField(ACTION_CODE_PATTERN, required=False)
    verificationMethod = serializers.ChoiceField(choices=sorted(_CHANNELS), required=False)


class ChallengeGetOutput(serializers.Serializer):
    challengeId = serializers.UUIDField()
    expiresAt = serializers.IntegerField()
    verificationMethod = serializers.CharField()
    smsChannel = serializers.CharField(allow_null=True)
    phoneNumber = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    action = serializers.CharField(allow_null=True)


def _channel(method: str, sms_channel: str = "") -> str:
    channel = _CHANNELS[method]
    if channel == CodeChannel.SMS and sms_channel == "WHATSAPP":
        return CodeChannel.WHATSAPP
    return channel


def _challenge(tenant, challenge_id: str) -> CodeChallenge:
    challenge = code_challenges.code_challenge_get(tenant=tenant, challenge_id=challenge_id)
    if challenge is None:
        raise ApplicationError("challenge_not_found", "No such challenge.", status=404)
    return challenge


class ChallengeStartView(ServerAPIView):
    """Send the user a code by e-mail, SMS or WhatsApp."""

    @extend_schema(
        request=ChallengeStartInput, responses=ChallengeStartOutput, operation_id="challenge_start"
    )
    def post(self, request):
        data = parse(ChallengeStartInput, request.data)
        channel = _channel(data["verificationMethod"], data.get("smsChannel", ""))
        context = {
            key: data[key]
            for key in ("locale", "deviceId", "ipAddress", "userAgent", "custom", "scope")
            if data.get(key)
        }
        challenge = code_challenges.code_challenge_start(
            tenant=self.tenant,
            user_id=data["userId"],
            channel=channel,
            address=data.get("email" if channel == CodeChannel.EMAIL else "phoneNumber", ""),
            action_code=data.get("action", ""),
            idempotency_key=data.get("idempotencyKey"),
            context=context,
        )
        return Response(
            {
                "challengeId": str(challenge.pk),
                "idempotencyKey": str(challenge.idempotency_key),
                "expiresAt": int(challenge.expires_at.timestamp()),
            }
        )


class ChallengeVerifyView(ServerAPIView):
    """Check the code the user typed; a wrong one is ``isVerified: false`` with a reason."""

    @extend_schema(request=VerifyInput, responses=VerifyOutput, operation_id="challenge_verify")
    def post(self, request):
        data = parse(VerifyInput, request.data)
        challenge = _challenge(self.tenant, data["challengeId"])
        body = {
            **code_challenges.code_challenge_address(challenge),
            "verificationMethod": _METHOD_SHOWN[challenge.channel],
        }
        try:
            code_challenges.code_challenge_verify(
                challenge=challenge, code=data["verificationCode"]
            )
        except ApplicationError as error:
            if error.code not in _FAILURE_REASONS:
                raise
            return Response(
                {**body, "isVerified": False, "failureReason": _FAILURE_REASONS[error.code]}
            )
        claimed_action_complete(challenge=challenge)
        return Response({**body, "isVerified": True})


class ChallengeClaimView(ServerAPIView):
    """Turn a challenge into an action of its user, with a token to validate."""

    @extend_schema(request=ClaimInput, responses=ClaimOutput, operation_id="challenge_claim")
    def post(self, request):
        data = parse(ClaimInput, request.data)
        challenge = _challenge(self.tenant, data["challengeId"])
        result = challenge_claim(tenant=self.tenant, challenge=challenge, user_id=data["userId"])
        return Response(
            {"token": result.token, "verificationMethod": _METHOD_SHOWN[challenge.channel]}
        )


class ChallengeGetView(ServerAPIView):
    """A challenge by id, or the newest for a user, action and method."""

    def _get(self, data: dict) -> Response:
        if data.get("challengeId"):
            challenge = _challenge(self.tenant, data["challengeId"])
        else:
            method = data.get("verificationMethod")
            challenge = code_challenges.code_challenge_find(
                tenant=self.tenant,
                user_id=data.get("userId"),
                action_code=data.get("action"),
                channels=None if method is None else [_channel(method)],
            )
            if challenge is None:
                raise ApplicationError("challenge_not_found", "No such challenge.", status=404)
        address = code_challenges.code_challenge_address(challenge)
        sms_channel = {CodeChannel.SMS: "DEFAULT", CodeChannel.WHATSAPP: "WHATSAPP"}
        return Response(
            {
                "challengeId": str(challenge.pk),
                "expiresAt": int(challenge.expires_at.timestamp()),
                "verificationMethod": _METHOD_SHOWN[challenge.channel],
                "smsChannel": sms_channel.get(challenge.channel),
                **address,
                "action": challenge.action_code or None,
            }
        )

    @extend_schema(
        parameters=[ChallengeQueryInput],
        responses=ChallengeGetOutput,
        operation_id="challenge_get",
    )
    def get(self, request):
        return self._get(parse(ChallengeQueryInput, request.query_params.dict()))

    @extend_schema(
        request=ChallengeQueryInput, responses=ChallengeGetOutput, operation_id="challenge_find"
    )
    def post(self, request):
        return self._get(parse(ChallengeQueryInput, request.data))
