"""Item 15 of the security audit: every error under /v1/ is in the API's error format, whatever
answered it, and the HTML pages send a Content-Security-Policy.

(gunicorn's own 414 is tested against a real gunicorn in tests/security/test_logs.py.)
"""

import pytest


def _assert_api_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["errorCode"] == code and body["errorDescription"]


def test_item15_bad_host_header_under_v1_is_json(client, db):
    _assert_api_error(client.get("/v1/health", HTTP_HOST="evil.example"), 400, "invalid_request")


def test_item15_wrong_method_on_a_non_json_view_is_json(client, db):
    response = client.post("/v1/schema/")
    _assert_api_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_item15_not_found_with_debug_on_is_json(client, db, settings):
    settings.DEBUG = True
    _assert_api_error(client.get("/v1/no/such/thing"), 404, "not_found")
    _assert_api_error(client.get("/.well-known/nothing"), 404, "not_found")


def test_item15_too_large_is_json(client, db):
    response = client.post("/v1/validate", "x" * 70_000, content_type="application/json")
    _assert_api_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "path",
    ["/portal/t/{tenant}/", "/portal/link", "/portal/signed-out", "/challenge"],
)
def test_item15_pages_send_a_content_security_policy(client, acme, path):
    response = client.get(path.format(tenant=acme.tenant_id))
    assert response.status_code == 200
    policy = response.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'"
    assert "unsafe" not in policy
    assert directives.get("frame-ancestors") == "'none'"
    assert directives.get("default-src") == "'none'"
