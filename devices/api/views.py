"""Authenticators and devices for the tenant's backend; in-app credentials and client states
for apps."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.services import user_get_or_create
from actions.authentication import ActionTokenAuthentication, request_token
from actions.tokens import token_adding_user, token_consume, token_user
from biometrics import client_states
from biometrics.templates import seed_parse
from devices import keys, proofs, selectors, services
from devices.api.serializers import (
    AuthenticatorEnrollInput,
    AuthenticatorEnrollOutput,
    AuthenticatorOutput,
    ClientStateCreateInput,
    ClientStateOutput,
    DeviceChallengeInput,
    DeviceChallengeOutput,
    DeviceOutput,
    InAppAddInput,
    InAppCredentialOutput,
    InAppRemoveInput,
    InAppRemoveOutput,
)
from devices.methods import method_from_wire
from devices.models import Authenticator
from recognize_project.api import ClientAPIView, IsAuthenticated, ServerAPIView, parse, path_user_id
from recognize_project.errors import ApplicationError
from recognize_project.ratelimit import ClientRateThrottle

READ_SCOPE = "read:authenticators"


def _known_user(tenant, user_id: str):
    user = account_selectors.user_get(tenant=tenant, external_id=path_user_id(user_id))
    if user is None:
        raise ApplicationError("user_not_found", "No such user.", status=404)
    return user


class AuthenticatorListView(ServerAPIView):
    @extend_schema(responses=AuthenticatorOutput(many=True), operation_id="authenticators_list")
    def get(self, request, user_id: str):
        user = account_selectors.user_get(tenant=self.tenant, external_id=path_user_id(user_id))
        if user is None:
            return Response([])
        authenticators = selectors.authenticator_list(user=user).select_related("user", "passkey")
        return Response(AuthenticatorOutput(authenticators, many=True).data)

    @extend_schema(
        request=AuthenticatorEnrollInput,
        responses=AuthenticatorEnrollOutput,
        operation_id="authenticators_enroll_verified",
    )
    def post(self, request, user_id: str):
        data = parse(AuthenticatorEnrollInput, request.data)
        user = user_get_or_create(tenant=self.tenant, external_id=path_user_id(user_id))
        authenticator = services.authenticator_enroll_verified(
            user=user,
            verification_method=method_from_wire(data["verificationMethod"]),
            email=data.get("email", ""),
            phone_number=data.get("phoneNumber", ""),
        )
        return Response({"authenticator": AuthenticatorOutput(authenticator).data})


class AuthenticatorDetailView(ServerAPIView):
    @extend_schema(responses={200: None}, operation_id="authenticators_delete")
    def delete(self, request, user_id: str, authenticator_id: str):
        user = _known_user(self.tenant, user_id)
        if not services.authenticator_delete(user=user, authenticator_id=authenticator_id):
            raise ApplicationError("authenticator_not_found", "No such authenticator.", status=404)
        return Response({"success": True})


class DeviceListView(ServerAPIView):
    @extend_schema(responses=DeviceOutput(many=True), operation_id="devices_list")
    def get(self, request, user_id: str):
        user = account_selectors.user_get(tenant=self.tenant, external_id=path_user_id(user_id))
        if user is None:
            return Response([])
        return Response(DeviceOutput(selectors.device_list(user=user), many=True).data)


class DeviceInvalidateView(ServerAPIView):
    """authsignal-php lib/Authsignal/Authsignal.php ``invalidateDevice``: the device is revoked
    (deleted, as ``DELETE`` does) and returned as it was."""

    @extend_schema(request=None, responses=DeviceOutput, operation_id="devices_invalidate")
    def post(self, request, user_id: str, device_id: str):
        user = _known_user(self.tenant, user_id)
        device = selectors.device_list(user=user).filter(pk=device_id).first()
        if device is None:
            raise ApplicationError("device_not_found", "No such device.", status=404)
        shown = DeviceOutput(device).data
        services.device_delete(user=user, device_id=device_id)
        return Response(shown)


class DeviceDetailView(ServerAPIView):
    @extend_schema(responses={200: None}, operation_id="devices_delete")
    def delete(self, request, user_id: str, device_id: str):
        user = _known_user(self.tenant, user_id)
        if not services.device_delete(user=user, device_id=device_id):
            raise ApplicationError("device_not_found", "No such device.", status=404)
        return Response({"success": True})


class ClientAuthenticatorListView(ClientAPIView):
    """The token's user's authenticators, for the app (``read:authenticators``; Android and iOS
    ``PasskeyAPI.getAuthenticators``, docs/compatibility.md c45)."""

    authentication_classes = [ActionTokenAuthentication]

    @extend_schema(responses=AuthenticatorOutput(many=True), operation_id="client_authenticators")
    def get(self, request):
        user = token_user(tenant=request.auth.tenant, token=request.auth.token, scope=READ_SCOPE)
        authenticators = selectors.authenticator_list(user=user).select_related("user", "passkey")
        return Response(AuthenticatorOutput(authenticators, many=True).data)


def credential_add(request, input_class, add) -> Authenticator:
    """An app's add-credential request: the user named by its token (``add:authenticators``),
    its input parsed with ``input_class``, and the authenticator ``add(user, public_key, data)``
    makes, spending the token in the same transaction (a refused credential leaves it unspent)."""
    token = request_token(request)
    user = token_adding_user(tenant=request.auth.tenant, token=token)
    data = parse(input_class, request.data)
    public_key = keys.public_key_parse(data["publicKey"])
    with transaction.atomic():
        token_consume(jti=token.jti, expires_at=token.expires_at)
        return add(user, public_key, data)


class InAppCredentialView(ClientAPIView):
    """``POST`` binds the app's key (token with ``add:authenticators``); ``GET`` looks it up."""

    @extend_schema(
        request=InAppAddInput, responses=InAppCredentialOutput, operation_id="in_app_add"
    )
    def post(self, request):
        authenticator = credential_add(
            request,
            InAppAddInput,
            lambda user, public_key, data: services.in_app_credential_add(
                user=user,
                public_key=public_key,
                device_name=data.get("deviceName", ""),
                device_platform=data.get("devicePlatform", ""),
                user_authentication_required=data["userAuthenticationRequired"],
            ),
        )
        return Response(InAppCredentialOutput(authenticator).data)

    @extend_schema(
        parameters=[OpenApiParameter("publicKey", str, required=True)],
        responses=InAppCredentialOutput,
        operation_id="in_app_get",
    )
    def get(self, request):
        public_key = keys.public_key_from_query(request.query_params.get("publicKey", ""))
        authenticator = selectors.in_app_authenticator_get(
            tenant=request.auth.tenant, fingerprint=public_key.fingerprint
        )
        if authenticator is None:
            raise ApplicationError(
                "credential_not_found", "No credential has this key.", status=404
            )
        return Response(InAppCredentialOutput(authenticator).data)


class DeviceChallengeView(ClientAPIView):
    """A single-use nonce for one device-signed request (``devices.proofs``)."""

    @extend_schema(
        request=DeviceChallengeInput,
        responses=DeviceChallengeOutput,
        operation_id="device_challenge_create",
    )
    def post(self, request):
        data = parse(DeviceChallengeInput, request.data)
        nonce = proofs.device_nonce_issue(
            tenant=request.auth.tenant,
            public_key=keys.public_key_parse(data["publicKey"]),
            purpose=data["purpose"],
        )
        return Response(DeviceChallengeOutput(nonce).data)


class SignedRemoveView(ClientAPIView):
    """Remove this install's credential, proven by its key (``devices.proofs.removal_verify``).
    Subclasses name the service (``remove``)."""

    remove = staticmethod(services.in_app_credential_remove)

    @extend_schema(
        request=InAppRemoveInput, responses=InAppRemoveOutput, operation_id="in_app_remove"
    )
    def post(self, request):
        data = parse(InAppRemoveInput, request.data)
        removed = self.remove(
            tenant=request.auth.tenant,
            public_key=data["publicKey"],
            signature=data["signature"],
            challenge_id=data.get("challengeId"),
            fields=request.data,
        )
        return Response({"removedAuthenticatorId": removed})


class InAppRemoveView(SignedRemoveView):
    """Unbind a device (its SDK device and every credential on it)."""


class ClientStateCreateView(APIView):
    """A bound device asks for a BACKUP or TEMPORARY client state of its user's face."""

    authentication_classes = [ActionTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(
        request=ClientStateCreateInput,
        responses=ClientStateOutput,
        operation_id="client_state_create",
    )
    def post(self, request):
        data = parse(ClientStateCreateInput, request.data)
        seed = seed_parse(data["seed"])
        device, blob = client_states.client_state_issue(
            tenant=request.auth.tenant,
            token=request.auth.token,
            type=data["type"],
            seed=seed,
            challenge_id=data["challengeId"],
            public_key=data["publicKey"],
            signature=data["signature"],
        )
        body = {"deviceId": str(device.pk), "clientState": blob, "type": device.type}
        expires_at = client_states.client_state_expires_at(device=device)
        if expires_at is not None:
            body["expiresAt"] = expires_at.isoformat()
        return Response(body)
