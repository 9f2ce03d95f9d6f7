"""Server API for users: ``GET /v1/users`` (query) and ``GET | PATCH | POST | DELETE
/v1/users/{userId}``."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import (
    QueriedUserOutput,
    UserOutput,
    UserQueryInput,
    UserQueryOutput,
    UserUpdateInput,
    user_output,
)
from actions.tokens import ActionToken, token_decode
from devices import selectors as device_selectors
from recognize_project.api import ServerAPIView, parse, path_user_id
from recognize_project.errors import ApplicationError

PROFILE_FIELDS = {
    "email": "email",
    "emailVerified": "email_verified",
    "phoneNumber": "phone_number",
    "phoneNumberVerified": "phone_number_verified",
    "username": "username",
    "displayName": "display_name",
    "locale": "locale",
    "custom": "custom",
}


def _user_response(user_id: str, user) -> Response:
    enrolled = device_selectors.enrolled_methods(user=user)
    allowed = device_selectors.allowed_methods(enrolled=enrolled)
    return Response(user_output(user_id, user, enrolled, allowed))


class UserDetailView(ServerAPIView):
    @extend_schema(responses=UserOutput, operation_id="user_get")
    def get(self, request, user_id: str):
        user_id = path_user_id(user_id)
        return _user_response(user_id, selectors.user_get(tenant=self.tenant, external_id=user_id))

    @extend_schema(request=UserUpdateInput, responses=UserOutput, operation_id="user_update")
    def patch(self, request, user_id: str):
        user_id = path_user_id(user_id)
        data = parse(UserUpdateInput, request.data)
        changes = {PROFILE_FIELDS[key]: value for key, value in data.items()}
        user = services.user_update(tenant=self.tenant, external_id=user_id, data=changes)
        return _user_response(user_id, user)

    @extend_schema(request=UserUpdateInput, responses=UserOutput, operation_id="user_update_post")
    def post(self, request, user_id: str):
        """The same update by POST, as authsignal-ruby (lib/authsignal/client.rb
        ``update_user``) and authsignal-java (AuthsignalClient.java ``updateUser``) send it."""
        return self.patch(request, user_id)

    @extend_schema(responses={200: None}, operation_id="user_delete")
    def delete(self, request, user_id: str):
        user_id = path_user_id(user_id)
        if not services.user_delete(tenant=self.tenant, external_id=user_id):
            raise ApplicationError("user_not_found", "No such user.", status=404)
        return Response({"success": True})


def _token_payload(token: ActionToken) -> dict:
    """The claims of an action token as ``tokenPayload`` shows them."""
    return {
        "sub": token.user_id,
        "userId": token.user_id,
        "tenantId": token.tenant_id,
        "actionCode": token.action_code,
        "idempotencyKey": token.idempotency_key,
        "scope": " ".join(sorted(token.scopes)),
        "exp": int(token.expires_at.timestamp()),
    }


class UserQueryView(ServerAPIView):
    """Users by username, e-mail, phone number or an action token, a page at a time."""

    @extend_schema(
        parameters=[UserQueryInput], responses=UserQueryOutput, operation_id="users_query"
    )
    def get(self, request):
        data = parse(UserQueryInput, request.query_params.dict())
        payload, external_id = None, None
        if data.get("token"):
            claims = token_decode(data["token"], status=400)
            if claims.tenant_id != str(self.tenant.pk):
                raise ApplicationError("invalid_token", "The token is not valid.")
            payload, external_id = _token_payload(claims), claims.user_id
        users, last = selectors.user_query(
            tenant=self.tenant,
            username=data.get("username", ""),
            email=data.get("email", ""),
            phone_number=data.get("phoneNumber", ""),
            external_id=external_id,
            limit=data.get("limit", selectors.USER_QUERY_DEFAULT_LIMIT),
            after=data.get("lastEvaluatedUserId", ""),
        )
        body: dict = {"users": QueriedUserOutput(users, many=True).data}
        if last is not None:
            body["lastEvaluatedUserId"] = last
        if payload is not None:
            body["tokenPayload"] = payload
        return Response(body)
