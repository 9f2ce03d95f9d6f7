"""Server API: ``GET | PATCH /v1/tenant/settings``, the tenant's face settings.

The tenant's backend reads and changes its liveness level (OFF / PASSIVE) and face match
threshold with its secret key, as an operator can in the admin. A threshold of ``null`` returns
to the evaluated default, which the response reports beside it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import LivenessLevel
from accounts.services import tenant_face_settings_update
from biometrics import conf
from recognize_project.api import InputSerializer, ServerAPIView, parse


class TenantSettingsInput(InputSerializer):
    livenessLevel = serializers.ChoiceField(choices=LivenessLevel.values, required=False)
    faceMatchThreshold = serializers.FloatField(
        required=False, allow_null=True, min_value=0.0, max_value=1.0
    )


class TenantSettingsOutput(serializers.Serializer):
    tenantId = serializers.CharField()
    livenessLevel = serializers.ChoiceField(choices=LivenessLevel.values)
    faceMatchThreshold = serializers.FloatField(
        allow_null=True, help_text="The tenant's own threshold; null means the default."
    )
    defaultFaceMatchThreshold = serializers.FloatField()
    effectiveFaceMatchThreshold = serializers.FloatField()


def _output(tenant) -> dict:
    own = tenant.face_match_threshold
    return {
        "tenantId": str(tenant.id),
        "livenessLevel": tenant.liveness_level,
        "faceMatchThreshold": own,
        "defaultFaceMatchThreshold": conf.BIOMETRICS_MATCH_THRESHOLD,
        "effectiveFaceMatchThreshold": conf.BIOMETRICS_MATCH_THRESHOLD if own is None else own,
    }


class TenantSettingsView(ServerAPIView):
    @extend_schema(responses=TenantSettingsOutput, operation_id="tenant_settings_get")
    def get(self, request):
        return Response(_output(self.tenant))

    @extend_schema(
        request=TenantSettingsInput,
        responses=TenantSettingsOutput,
        operation_id="tenant_settings_update",
    )
    def patch(self, request):
        data = parse(TenantSettingsInput, request.data)
        tenant = tenant_face_settings_update(
            tenant=self.tenant,
            liveness_level=data.get("livenessLevel"),
            face_match_threshold=data.get("faceMatchThreshold"),
            reset_face_match_threshold=(
                "faceMatchThreshold" in data and data["faceMatchThreshold"] is None
            ),
        )
        return Response(_output(tenant))
