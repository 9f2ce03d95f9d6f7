"""Track, get/update and validate actions; challenges and in-app verification for apps."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from actions import challenges, conf, outcomes, selectors, services
from actions.api.serializers import (
    ActionListItemOutput,
    ActionOutput,
    ActionQueryInput,
    ActionUpdateInput,
    ChallengeInput,
    ChallengeOutput,
    InAppVerifyInput,
    InAppVerifyOutput,
    TrackInput,
    TrackOutput,
    ValidateInput,
    ValidateOutput,
)
from actions.authentication import request_token
from devices import selectors as device_selectors
from devices.methods import method_to_wire, methods_to_wire
from recognize_project import keys
from recognize_project.api import (
    ClientAPIView,
    ServerAPIView,
    parse,
    path_action_code,
    path_user_id,
)
from recognize_project.errors import ApplicationError

TRACK_ATTRIBUTES = {
    "idempotencyKey": "idempotency_key",
    "locale": "locale",
    "customDomain": "custom_domain",
    "challengeId": "challenge_id",
    "redirectUrl": "redirect_url",
    "email": "email",
    "phoneNumber": "phone_number",
    "username": "username",
    "displayName": "display_name",
    "ipAddress": "ip_address",
    "userAgent": "user_agent",
    "deviceId": "device_id",
    "custom": "custom",
}


def _scopes(text: str) -> set[str]:
    scopes = set(text.split())
    unknown = scopes - conf.ACTIONS_ALLOWED_SCOPES
    if unknown:
        raise ApplicationError("invalid_scope", f"Unknown scope(s): {', '.join(sorted(unknown))}.")
    return scopes


class TrackView(ServerAPIView):
    @extend_schema(request=TrackInput, responses=TrackOutput, operation_id="action_track")
    def post(self, request, user_id: str, action_code: str):
        user_id, action_code = path_user_id(user_id), path_action_code(action_code)
        data = parse(TrackInput, request.data)
        attributes = {field: data[key] for key, field in TRACK_ATTRIBUTES.items() if key in data}
        attributes["ip_address"] = attributes.get("ip_address") or None
        attributes["scope"] = _scopes(data.get("scope", ""))
        result = services.action_track(
            tenant=self.tenant, user_id=user_id, action_code=action_code, attributes=attributes
        )
        enrolled = result.enrolled_methods
        allowed = device_selectors.allowed_methods(enrolled=enrolled)
        if result.rule_methods is not None:
            allowed = [m for m in allowed if m in result.rule_methods] or result.rule_methods
        default = allowed[0] if result.rule_methods else (enrolled[0] if enrolled else None)
        body = {
            "state": result.action.state,
            "idempotencyKey": str(result.action.idempotency_key),
            "url": f"{settings.RECOGNIZE_PUBLIC_URL}/challenge#token={result.token}",
            "token": result.token,
            "isEnrolled": bool(enrolled),
            "enrolledVerificationMethods": methods_to_wire(enrolled),
            "allowedVerificationMethods": methods_to_wire(allowed),
            "defaultVerificationMethod": method_to_wire(default),
            "ruleIds": result.action.output["ruleIds"],
        }
        if result.push_verification_code:
            body["pushVerificationCode"] = result.push_verification_code
        return Response(body)


class ActionQueryView(ServerAPIView):
    """A user's actions, newest first, by action codes, state and creation date."""

    @extend_schema(
        parameters=[ActionQueryInput],
        responses=ActionListItemOutput(many=True),
        operation_id="actions_query",
    )
    def get(self, request, user_id: str):
        data = parse(ActionQueryInput, request.query_params.dict())
        actions = selectors.action_list(
            tenant=self.tenant,
            user_id=path_user_id(user_id),
            action_codes=data.get("codes", ()),
            state=data.get("state", ""),
            from_date=data.get("fromDate"),
        )
        return Response(ActionListItemOutput(actions, many=True).data)


class ActionDetailView(ServerAPIView):
    def _action(self, user_id: str, action_code: str, idempotency_key: str):
        action = selectors.action_get(
            tenant=self.tenant,
            idempotency_key=idempotency_key,
            user_id=path_user_id(user_id),
            action_code=path_action_code(action_code),
        )
        if action is None:
            raise ApplicationError("action_not_found", "No such action.", status=404)
        return action

    @extend_schema(responses=ActionOutput, operation_id="action_get")
    def get(self, request, user_id: str, action_code: str, idempotency_key: str):
        return Response(ActionOutput(self._action(user_id, action_code, idempotency_key)).data)

    @extend_schema(request=ActionUpdateInput, responses=ActionOutput, operation_id="action_update")
    def patch(self, request, user_id: str, action_code: str, idempotency_key: str):
        data = parse(ActionUpdateInput, request.data)
        action = self._action(user_id, action_code, idempotency_key)
        action = outcomes.action_update(action=action, state=data["state"])
        return Response(ActionOutput(action).data)


class ValidateView(ServerAPIView):
    @extend_schema(request=ValidateInput, responses=ValidateOutput, operation_id="validate")
    def post(self, request):
        data = parse(ValidateInput, request.data)
        result = outcomes.action_validate(
            tenant=self.tenant,
            token=data["token"],
            user_id=data.get("userId"),
            action_code=data.get("action"),
        )
        action = result.action
        return Response(
            {
                "isValid": result.is_valid,
                "state": action.state,
                "stateUpdatedAt": action.state_updated_at.isoformat(),
                "userId": action.user.external_id,
                "action": action.action_code,
                # authsignal-java and -dotnet read the code only as actionCode (ValidateChallenge
                # response models); node and python read action.
                "actionCode": action.action_code,
                "idempotencyKey": str(action.idempotency_key),
                "verificationMethod": method_to_wire(action.verification_method),
            }
        )


class ChallengeView(ClientAPIView):
    @extend_schema(request=ChallengeInput, responses=ChallengeOutput, operation_id="challenge")
    def post(self, request):
        data = parse(ChallengeInput, request.data)
        challenge = challenges.challenge_create(
            tenant=request.auth.tenant,
            token=request_token(request),
            action_code=data.get("action", ""),
        )
        return Response(
            {"challengeId": challenge.id, "expiresAt": challenge.expires_at.isoformat()}
        )


class InAppVerifyView(ClientAPIView):
    @extend_schema(
        request=InAppVerifyInput, responses=InAppVerifyOutput, operation_id="in_app_verify"
    )
    def post(self, request):
        data = parse(InAppVerifyInput, request.data)
        result = challenges.in_app_verify(
            tenant=request.auth.tenant,
            challenge_id=data["challengeId"],
            public_key=data["publicKey"],
            signature=data["signature"],
            token=request_token(request),
        )
        user = result.authenticator.user
        return Response(
            {
                "token": result.token,
                "userId": user.external_id,
                "userAuthenticatorId": str(result.authenticator.pk),
                "username": user.username or None,
                "state": result.action.state,
                "idempotencyKey": str(result.action.idempotency_key),
            }
        )


class JwksView(APIView):
    """The public keys that sign action tokens."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(responses={200: dict}, operation_id="jwks")
    def get(self, request):
        return Response({"keys": [keys.token_signing_jwk()]})
