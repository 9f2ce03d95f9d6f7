"""Client API for push challenges, on Authsignal's mobile SDK paths: the app polls for the
pending challenge (``GET``) and approves or denies it (``POST``)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TenantIdAuthentication
from actions import push
from actions.tokens import token_issue
from devices import keys
from recognize_project.api import InputSerializer, IsAuthenticated, parse
from recognize_project.ratelimit import ClientRateThrottle

SIGNATURE_HEADERS = ("HTTP_X_RECOGNIZE_SIGNATURE", "HTTP_X_AUTHSIGNAL_SIGNATURE")


class PushChallengeOutput(serializers.Serializer):
    challengeId = serializers.CharField(allow_null=True)
    userId = serializers.CharField(required=False)
    actionCode = serializers.CharField(required=False)
    idempotencyKey = serializers.CharField(required=False)
    userAgent = serializers.CharField(required=False, allow_blank=True)
    ipAddress = serializers.CharField(required=False, allow_null=True)
    expiresAt = serializers.DateTimeField(required=False)
    numberMatching = serializers.BooleanField(required=False)
    faceRequired = serializers.BooleanField(required=False)
    token = serializers.CharField(
        required=False, help_text="When faceRequired: the action token for face authentication."
    )


class PushAnswerInput(InputSerializer):
    challengeId = serializers.CharField(max_length=64)
    publicKey = serializers.CharField(max_length=1024)
    signature = serializers.CharField(max_length=256)
    approved = serializers.BooleanField()
    verificationCode = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=8
    )


class PushAnswerOutput(serializers.Serializer):
    isVerified = serializers.BooleanField()
    state = serializers.CharField()


class PushChallengeView(APIView):
    authentication_classes = [TenantIdAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("publicKey", str, required=True),
            OpenApiParameter(
                "challengeId",
                str,
                required=True,
                description="A nonce for push.poll from POST /v1/client/device-challenge",
            ),
            OpenApiParameter(
                "X-Recognize-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="The device key's signature of device_request_message "
                "(recognize_sdk/proof.py) for push.poll, with no fields.",
            ),
        ],
        responses=PushChallengeOutput,
        operation_id="push_challenge_get",
    )
    def get(self, request):
        """The newest pending challenge for this install, or ``challengeId: null``."""
        public_key = keys.public_key_from_query(request.query_params.get("publicKey", ""))
        signature = next((request.META[h] for h in SIGNATURE_HEADERS if h in request.META), "")
        challenge = push.push_challenge_pending(
            tenant=request.auth.tenant,
            public_key=public_key,
            challenge_id=request.query_params.get("challengeId", "")[:64],
            signature=signature,
        )
        if challenge is None:
            return Response({"challengeId": None})
        action = challenge.action
        body = {
            "challengeId": challenge.pk,
            "userId": challenge.user.external_id,
            "actionCode": action.action_code,
            "idempotencyKey": str(action.idempotency_key),
            "userAgent": action.user_agent,
            "ipAddress": action.ip_address,
            "expiresAt": challenge.expires_at.isoformat(),
            "numberMatching": bool(challenge.verification_code),
            "faceRequired": challenge.face_required,
        }
        if challenge.face_required:
            action.tenant, action.user = request.auth.tenant, challenge.user
            body["token"] = token_issue(action=action)
        return Response(body)

    @extend_schema(request=PushAnswerInput, responses=PushAnswerOutput, operation_id="push_answer")
    def post(self, request):
        """Approve or deny; the signature is over ``challengeId``."""
        data = parse(PushAnswerInput, request.data)
        answer = push.push_challenge_answer(
            tenant=request.auth.tenant,
            challenge_id=data["challengeId"],
            public_key=keys.public_key_parse(data["publicKey"]),
            signature=data["signature"],
            approved=data["approved"],
            verification_code=data.get("verificationCode"),
        )
        return Response({"isVerified": answer.approved, "state": answer.action.state})
