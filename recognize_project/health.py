"""Probes for load balancers and orchestrators.

``GET /v1/health`` (liveness): the process answers; touches neither database nor cache, so a
database outage does not get every web process restarted.

``GET /v1/ready`` (readiness): this process can serve, i.e. the database answers, Redis (cache
and rate limits) and the Celery broker answer when configured, and the face models are in
place. 200 with each check's result, or 503 naming what failed (the error's kind only: no
addresses or credentials). Models are verified against their manifest's hashes once per
process, then only checked to be present with the right size.
"""

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from recognize_project.celery import app
from recognize_sdk.face.models import default_model_dir, read_manifest, verify_models

PROBE_TIMEOUT_SECONDS = 2.0
logger = logging.getLogger(__name__)
_models_verified = threading.Event()


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(responses={200: dict}, operation_id="health")
    def get(self, request):
        return Response({"status": "ok"})


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=PROBE_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _broker() -> str:
    if app.conf.task_always_eager:
        return "not used (tasks run in-process)"
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)
    return "ok"


def _models() -> str:
    directory = default_model_dir()
    if not _models_verified.is_set():
        verify_models(directory)
        _models_verified.set()
        return "ok"
    manifest = read_manifest(directory) or {}
    for name, entry in manifest.get("files", {}).items():
        if Path(directory, name).stat().st_size != entry.get("bytes"):
            _models_verified.clear()
            raise ValueError(f"{name} changed since it was verified")
    return "ok"


CHECKS = {"database": _database, "redis": _redis, "broker": _broker, "models": _models}


class ReadinessView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request):
        results, ready = {}, True
        for name, check in CHECKS.items():
            try:
                results[name] = check()
            except Exception as error:  # any failure at all makes this process unready
                logger.warning("readiness check %s failed", name, exc_info=True)
                ready = False
                results[name] = f"failed: {type(error).__name__}"
        body = {"status": "ok" if ready else "unavailable", "checks": results}
        return Response(body, status=200 if ready else 503)
