"""Liveness, readiness and the offline API docs page."""

import re
import shutil

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders


@pytest.fixture
def models_fetched():
    """The face models must be in their cache (``make test`` fetches them first)."""
    from recognize_sdk.face.models import default_model_dir, read_manifest

    if read_manifest(default_model_dir()) is None:
        pytest.skip("face models not fetched (python manage.py fetch_models)")
    return default_model_dir()


def test_liveness_touches_nothing(client):
    response = client.get("/v1/health")  # no database access is allowed in this test
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_when_database_broker_and_models_are(client, models_fetched):
    response = client.get("/v1/ready")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["models"] == "ok"
    assert checks["redis"] in {"ok", "not configured"}


@pytest.mark.django_db
def test_not_ready_without_the_model_files(client, models_fetched, tmp_path, monkeypatch):
    from recognize_project import health

    copy = tmp_path / "models"
    shutil.copytree(models_fetched, copy)
    monkeypatch.setenv("RECOGNIZE_MODEL_DIR", str(copy))
    monkeypatch.setattr(health, "_models_verified", health.threading.Event())
    assert client.get("/v1/ready").status_code == 200
    (copy / "face_recognition.onnx").write_bytes(b"truncated")
    response = client.get("/v1/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["models"].startswith("failed")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_not_ready_when_redis_does_not_answer(client, models_fetched, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/v1/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "failed: ConnectionError"


def test_api_docs_are_served_without_any_outside_address(client):
    page = client.get("/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/v1/schema/" in html
    scripts = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert scripts and all(url.startswith("/") for url in scripts), scripts
    asset = next(url for url in scripts if url.endswith("swagger-ui-bundle.js"))
    assert finders.find(asset.removeprefix(settings.STATIC_URL))  # collectstatic ships it
