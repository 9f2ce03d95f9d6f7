"""``GET /v1/health``: liveness for load balancers; touches neither database nor cache."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(responses={200: dict}, operation_id="health")
    def get(self, request):
        return Response({"status": "ok"})
