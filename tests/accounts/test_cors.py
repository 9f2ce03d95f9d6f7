"""CORS per tenant on the client API (accounts/origins.py): a browser on a tenant's own site may
call the client API, any other origin may not, and the server API and the portal never answer
CORS at all.

The browser SDK sends ``Authorization`` and ``Content-Type: application/json`` (browser
node_modules/@authsignal/browser/dist/index.js ``buildHeaders``), so every call is preflighted.
"""

import base64

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.validators import origin_normalize
from actions.models import Challenge

SITE = "https://shop.example.com"
OTHER = "https://evil.example.net"


def _basic(tenant_id: str) -> str:
    # browser src/api/helpers.ts buildHeaders: btoa(encodeURIComponent(tenantId)), no colon
    return "Basic " + base64.b64encode(tenant_id.encode()).decode()


@pytest.fixture
def shop(acme):
    acme.tenant.allowed_origins = [SITE]
    acme.tenant.save(update_fields=["allowed_origins"])
    return acme


def _preflight(path: str, origin: str):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )


def test_preflight_from_an_allowed_origin_is_answered(shop):
    response = _preflight("/v1/client/challenge", SITE)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_from_an_unknown_origin_gets_no_cors_headers(shop):
    response = _preflight("/v1/client/challenge", OTHER)
    assert "Access-Control-Allow-Origin" not in response


def test_request_from_the_tenants_origin_is_readable(shop):
    response = Client().post(
        "/v1/client/challenge",
        {"action": "signIn"},
        content_type="application/json",
        HTTP_ORIGIN=SITE,
        HTTP_AUTHORIZATION=_basic(shop.tenant_id),
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "origin" in response["Vary"].lower()


def test_request_from_another_tenants_origin_is_refused_and_unreadable(shop, globex):
    """An origin some tenant allows passes the preflight, but a request for another tenant is
    refused before anything happens, without CORS headers."""
    response = Client().post(
        "/v1/client/challenge",
        {"action": "signIn"},
        content_type="application/json",
        HTTP_ORIGIN=SITE,
        HTTP_AUTHORIZATION=_basic(globex.tenant_id),
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    assert not Challenge.objects.filter(tenant=globex.tenant).exists()


def test_bearer_request_from_an_unknown_origin_is_refused(shop):
    token = shop.track("alice")["token"]
    response = Client().post(
        "/v1/client/challenge",
        {},
        content_type="application/json",
        HTTP_ORIGIN=OTHER,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "origin_not_allowed"


def test_apps_without_an_origin_header_are_unaffected(shop):
    """The mobile SDKs send no Origin: nothing changes for them."""
    response = Client().post(
        "/v1/client/challenge",
        {"action": "signIn"},
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(shop.tenant_id),
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("path", ["/v1/users/alice", "/v1/validate", "/v1/health", "/portal/"])
def test_server_api_and_pages_never_get_cors_headers(shop, path):
    assert "Access-Control-Allow-Origin" not in _preflight(path, SITE)
    response = Client().get(path, HTTP_ORIGIN=SITE)
    assert "Access-Control-Allow-Origin" not in response


def test_server_api_with_an_allowed_origin_gets_no_cors_headers(shop):
    response = Client().get(
        "/v1/users/alice",
        HTTP_ORIGIN=SITE,
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{shop.secret}:".encode()).decode(),
    )
    assert "Access-Control-Allow-Origin" not in response


def test_an_origin_that_merely_contains_an_allowed_one_is_unknown(shop):
    assert "Access-Control-Allow-Origin" not in _preflight(
        "/v1/client/challenge", "https://shop.example.co"
    )
    assert "Access-Control-Allow-Origin" not in _preflight(
        "/v1/client/challenge", SITE + ".evil.net"
    )


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("https://App.Example.com/", "https://app.example.com"),
        ("http://localhost:5173", "http://localhost:5173"),
    ],
)
def test_origins_are_normalized(value, normalized):
    assert origin_normalize(value) == normalized


@pytest.mark.parametrize(
    "value", ["app.example.com", "ftp://x.com", "https://x.com/path", "https://u@x.com", "null"]
)
def test_anything_but_an_origin_is_refused(value):
    with pytest.raises(ValidationError):
        origin_normalize(value)
