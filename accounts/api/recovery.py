"""Server API to start an account recovery: ``POST /v1/users/{userId}/recovery``.

The tenant's backend calls it after the user passed a first factor; the answer's token and
deep link go to the user's new device, which completes the recovery with a selfie.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from biometrics.recovery import recovery_start
from recognize_project.api import ServerAPIView, path_user_id


class RecoveryStartOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Single use, scopes add:authenticators recovery.")
    expiresAt = serializers.DateTimeField()
    url = serializers.CharField(help_text="recognize://recover#server=...&token=...")
    idempotencyKey = serializers.UUIDField(help_text="The recovery action, for GET action.")


class RecoveryStartView(ServerAPIView):
    @extend_schema(request=None, responses=RecoveryStartOutput, operation_id="recovery_start")
    def post(self, request, user_id: str):
        started = recovery_start(tenant=self.tenant, user_id=path_user_id(user_id))
        return Response(
            {
                "token": started.token,
                "expiresAt": started.expires_at.isoformat(),
                "url": started.url,
                "idempotencyKey": str(started.action.idempotency_key),
            }
        )
