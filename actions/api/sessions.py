"""Server API for sessions: ``POST /v1/sessions``, ``/v1/sessions/validate``,
``/v1/sessions/refresh``, ``/v1/sessions/revoke`` and ``/v1/sessions/user/revoke``.

Shapes from @authsignal/node src/authsignal.ts ``createSession`` … ``revokeUserSessions`` and
src/types.ts (authsignal/authsignal-node); ``expiresAt`` is a number, Unix seconds.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.serializers import user_output
from actions import sessions
from actions.api.serializers import AsciiField
from devices import selectors as device_selectors
from devices.methods import method_to_wire
from recognize_project.api import InputSerializer, ServerAPIView, parse
from recognize_project.fields import ACTION_CODE_PATTERN, USER_ID_MAX


class SessionCreateInput(InputSerializer):
    clientId = serializers.CharField(max_length=200)
    token = AsciiField(max_length=4096)
    action = serializers.RegexField(ACTION_CODE_PATTERN, required=False)


class SessionTokensOutput(serializers.Serializer):
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()


class SessionValidateInput(InputSerializer):
    accessToken = AsciiField(max_length=4096)
    clientIds = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )


class SessionValidateOutput(serializers.Serializer):
    user = serializers.DictField()
    expiresAt = serializers.IntegerField()
    verificationMethod = serializers.CharField(allow_null=True)


class SessionRefreshInput(InputSerializer):
    refreshToken = AsciiField(max_length=200)


class SessionRevokeInput(InputSerializer):
    accessToken = AsciiField(max_length=4096)


class UserSessionsRevokeInput(InputSerializer):
    userId = serializers.CharField(max_length=USER_ID_MAX)


def _pair(tokens: sessions.SessionTokens) -> Response:
    return Response({"accessToken": tokens.access_token, "refreshToken": tokens.refresh_token})


class SessionCreateView(ServerAPIView):
    """A session from the token of an allowed or succeeded action (the token is spent)."""

    @extend_schema(
        request=SessionCreateInput, responses=SessionTokensOutput, operation_id="session_create"
    )
    def post(self, request):
        data = parse(SessionCreateInput, request.data)
        return _pair(
            sessions.session_create(
                tenant=self.tenant,
                token=data["token"],
                client_id=data["clientId"],
                action_code=data.get("action"),
            )
        )


class SessionValidateView(ServerAPIView):
    @extend_schema(
        request=SessionValidateInput,
        responses=SessionValidateOutput,
        operation_id="session_validate",
    )
    def post(self, request):
        data = parse(SessionValidateInput, request.data)
        valid = sessions.session_validate(
            tenant=self.tenant,
            access_token=data["accessToken"],
            client_ids=data.get("clientIds"),
        )
        user = valid.user
        enrolled = device_selectors.enrolled_methods(user=user)
        allowed = device_selectors.allowed_methods(enrolled=enrolled)
        return Response(
            {
                "user": user_output(user.external_id, user, enrolled, allowed),
                "expiresAt": valid.expires_at,
                "verificationMethod": method_to_wire(valid.session.verification_method),
            }
        )


class SessionRefreshView(ServerAPIView):
    @extend_schema(
        request=SessionRefreshInput, responses=SessionTokensOutput, operation_id="session_refresh"
    )
    def post(self, request):
        data = parse(SessionRefreshInput, request.data)
        return _pair(
            sessions.session_refresh(tenant=self.tenant, refresh_token=data["refreshToken"])
        )


class SessionRevokeView(ServerAPIView):
    @extend_schema(request=SessionRevokeInput, responses={200: None}, operation_id="session_revoke")
    def post(self, request):
        data = parse(SessionRevokeInput, request.data)
        sessions.session_revoke(tenant=self.tenant, access_token=data["accessToken"])
        return Response({"success": True})


class UserSessionsRevokeView(ServerAPIView):
    @extend_schema(
        request=UserSessionsRevokeInput, responses={200: None}, operation_id="user_sessions_revoke"
    )
    def post(self, request):
        data = parse(UserSessionsRevokeInput, request.data)
        sessions.user_sessions_revoke(tenant=self.tenant, user_id=data["userId"])
        return Response({"success": True})
