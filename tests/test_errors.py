"""Every API failure is a clear 4xx in the API's error format, and changes nothing."""

import base64
import json
import logging

import pytest

from actions.models import Action

AUTH = {}


@pytest.fixture
def auth(acme):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{acme.secret}:".encode()).decode()}


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    # ``error`` and ``errorCode`` both carry the code: Node, Ruby, Java, .NET, browser and
    # Android SDKs read ``error``; Python, Go and PHP read ``errorCode`` (docs/compatibility.md).
    assert body["error"] == body["errorCode"] == code
    assert body["errorDescription"]
    return body


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2", b'{"a": }'])
def test_malformed_json(client, auth, body):
    response = client.post(
        "/v1/users/alice/actions/signIn", body, content_type="application/json", **auth
    )
    _error(response, 400, "malformed_json")
    assert not Action.objects.exists()


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object(client, auth, body):
    response = client.post(
        "/v1/users/alice/actions/signIn", body, content_type="application/json", **auth
    )
    _error(response, 400, "invalid_request")


def test_oversize_body_is_413(client, auth):
    body = json.dumps({"custom": {"blob": "x" * 200_000}})
    response = client.post(
        "/v1/users/alice/actions/signIn", body, content_type="application/json", **auth
    )
    _error(response, 413, "payload_too_large")
    assert not Action.objects.exists()


def test_wrong_content_type_is_415(client, auth):
    response = client.post(
        "/v1/users/alice/actions/signIn", "a=b", content_type="text/plain", **auth
    )
    _error(response, 415, "unsupported_media_type")


def test_unknown_api_path_is_json_404(client):
    _error(client.get("/v1/nothing/here"), 404, "not_found")


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic " + base64.b64encode(b"bad-secret:").decode(), "Basic %%%"],
    ids=["missing", "bad-secret", "malformed"],
)
def test_unauthorized_body_is_authsignals_exactly(client, authorization):
    """Authsignal's 401, as the SDKs' live suites assert it.

    authsignal 4.1.0 client_tests.py test_get_action_with_bad_secret (the same text in
    authsignal-node test/client.test.ts and authsignalgo client/actions_test.go).
    """
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/v1/users/test-user/actions/python-sdk-test/test-key", **headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized",
        "errorCode": "unauthorized",
        "errorDescription": (
            "The request is unauthorized. Check that your API key and region base URL are "
            "correctly configured."
        ),
    }


def test_wrong_method_is_405(client, auth):
    _error(
        client.put("/v1/validate", "{}", content_type="application/json", **auth),
        405,
        "method_not_allowed",
    )


def test_success_content_type_is_exactly_application_json(client, auth):
    response = client.get("/v1/users/alice", **auth)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_openapi_schema_is_served(client):
    response = client.get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in [
        "/v1/users/{user_id}/actions/{action_code}",
        "/v1/validate",
        "/v1/client/challenge",
        "/v1/client/verify/in-app",
        "/v1/client/user-authenticators/in-app",
        "/v1/users/{user_id}/devices/{device_id}",
    ]:
        assert path in paths


def test_unknown_fields_are_ignored_and_logged_by_name_only(acme, caplog):
    """A newer SDK's field must not break a call, nor its value reach the log."""
    with caplog.at_level(logging.DEBUG, logger="recognize_project.api"):
        user = acme.server.update_user(
            "alice", {"email": "a@example.com", "fieldFromTheFuture": "s3cret-value"}
        )
    assert user["email"] == "a@example.com"
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "fieldFromTheFuture" in logged
    assert "s3cret-value" not in logged
