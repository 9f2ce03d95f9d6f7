"""``GET | PATCH /v1/tenant/settings``: a tenant's backend chooses its liveness level and face
match threshold with its secret key."""

import base64

import pytest

from accounts.models import Tenant
from accounts.services import tenant_create
from biometrics import conf
from events.models import AuditEvent

URL = "/v1/tenant/settings"


def _auth(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}


def _patch(client, secret: str, body: dict):
    return client.patch(URL, body, content_type="application/json", **_auth(secret))


def test_new_tenants_get_passive_liveness_and_the_default_threshold(acme, client):
    response = client.get(URL, **_auth(acme.secret))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "tenantId": acme.tenant_id,
        "livenessLevel": "PASSIVE",
        "faceMatchThreshold": None,
        "defaultFaceMatchThreshold": conf.BIOMETRICS_MATCH_THRESHOLD,
        "effectiveFaceMatchThreshold": conf.BIOMETRICS_MATCH_THRESHOLD,
    }


def test_patch_changes_level_and_threshold_and_is_audited(acme, client):
    response = _patch(client, acme.secret, {"livenessLevel": "OFF", "faceMatchThreshold": 0.937})

    assert response.status_code == 200
    body = response.json()
    assert (body["livenessLevel"], body["faceMatchThreshold"]) == ("OFF", 0.937)
    assert body["effectiveFaceMatchThreshold"] == 0.937
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    assert (tenant.liveness_level, tenant.face_match_threshold) == ("OFF", 0.937)
    event = AuditEvent.objects.get(tenant=tenant, event_type="tenant.settings_updated")
    assert event.detail == {"liveness_level": "OFF", "face_match_threshold": "0.937"}


def test_patch_one_field_keeps_the_other_and_null_restores_the_default(acme, client):
    _patch(client, acme.secret, {"faceMatchThreshold": 0.95})
    assert _patch(client, acme.secret, {"livenessLevel": "OFF"}).json()["faceMatchThreshold"] == (
        0.95
    )

    body = _patch(client, acme.secret, {"faceMatchThreshold": None}).json()

    assert body["faceMatchThreshold"] is None
    assert body["effectiveFaceMatchThreshold"] == conf.BIOMETRICS_MATCH_THRESHOLD
    assert Tenant.objects.get(pk=acme.tenant.pk).liveness_level == "OFF"


@pytest.mark.parametrize(
    "body",
    [
        {"livenessLevel": "MAYBE"},
        {"livenessLevel": None},
        {"faceMatchThreshold": 1.5},
        {"faceMatchThreshold": -0.1},
        {"faceMatchThreshold": "high"},
        {"livenessLevel": 7},
    ],
)
def test_bad_input_is_400_and_changes_nothing(acme, client, body):
    response = _patch(client, acme.secret, body)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_request"
    assert set(response.json()) >= {"error", "errorCode", "errorDescription"}
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    assert (tenant.liveness_level, tenant.face_match_threshold) == ("PASSIVE", None)
    assert not AuditEvent.objects.filter(event_type="tenant.settings_updated").exists()


def test_bad_key_is_401_and_tenants_only_change_their_own(acme, client):
    assert client.get(URL, **_auth("rk_" + "x" * 43)).status_code == 401
    assert (
        client.patch(URL, {"livenessLevel": "OFF"}, content_type="application/json").json()[
            "errorCode"
        ]
        == "unauthorized"
    )
    other, secret = tenant_create(name="globex")

    _patch(client, secret, {"livenessLevel": "OFF", "faceMatchThreshold": 0.5})

    assert Tenant.objects.get(pk=other.pk).liveness_level == "OFF"
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    assert (tenant.liveness_level, tenant.face_match_threshold) == ("PASSIVE", None)


def test_the_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/v1/schema/", HTTP_ACCEPT="application/json")

    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/v1/tenant/settings" in text
    assert "tenant_settings_update" in text
