"""Server API for users: ``GET | PATCH | DELETE /v1/users/{userId}``."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import UserOutput, UserUpdateInput, user_output
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
