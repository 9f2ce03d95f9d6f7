"""Users API, secret-key authentication and tenant isolation."""

import base64

import pytest
from authsignal.client import ApiException

from accounts.models import EndUser, SecretKey
from accounts.services import secret_key_hash, secret_key_revoke, secret_key_rotate
from tests.support import authsignal_client


def test_get_unknown_user_reports_not_enrolled_and_creates_nothing(acme):
    user = acme.server.get_user("nobody")
    assert user["is_enrolled"] is False
    assert user["email"] is None
    assert not EndUser.objects.exists()


def test_update_then_get_user(acme):
    updated = acme.server.update_user(
        "alice",
        {
            "email": "alice@example.com",
            "phoneNumber": "+64 21 555 0101",
            "displayName": "Alice",
            "custom": {"tier": "gold"},
        },
    )
    assert updated["email"] == "alice@example.com"
    got = acme.server.get_user("alice")
    assert got["display_name"] == "Alice"
    assert got["phone_number"] == "+64 21 555 0101"  # as given, like Authsignal
    assert EndUser.objects.get(external_id=got["user_id"]).phone_number_e164 == "+64215550101"
    assert got["custom"] == {"tier": "gold"}


def test_update_user_stores_and_returns_authsignals_newer_attributes(acme):
    """UserAttributes of @authsignal/node src/types.ts (authsignal/authsignal-node): the
    verified flags and locale are kept; a field no SDK knows yet is ignored, not refused."""
    updated = acme.server.update_user(
        "alice",
        {
            "email": "alice@example.com",
            "emailVerified": True,
            "phoneNumberVerified": False,
            "locale": "en-NZ",
            "someFutureField": {"x": 1},
        },
    )
    assert (updated["email_verified"], updated["phone_number_verified"]) == (True, False)
    got = acme.server.get_user("alice")
    assert (got["email_verified"], got["locale"]) == (True, "en-NZ")
    user = EndUser.objects.get()
    assert (user.email_verified, user.locale) == (True, "en-NZ")


def test_post_updates_the_user_as_ruby_and_java_send_it(acme):
    """authsignal-ruby lib/authsignal/client.rb ``update_user`` and authsignal-java
    AuthsignalClient.java ``updateUser`` POST to /users/{userId}."""
    response = acme.server.session.post(
        f"{acme.server.api_url}/users/alice", data='{"email": "alice@example.com"}'
    )
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"
    assert EndUser.objects.get().email == "alice@example.com"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"phoneNumber": "call me"},
        {"emailVerified": "perhaps"},
        {"locale": "x" * 36},
        {"nickname": "x", "email": 5},
    ],
)
def test_update_user_bad_input(acme, body):
    with pytest.raises(ApiException) as error:
        acme.server.update_user("alice", body)
    assert (error.value.status_code, error.value.error_code) == (400, "invalid_request")
    assert not EndUser.objects.exists()


def test_delete_user_removes_devices_and_authenticators(acme):
    acme.bound_device("alice")
    acme.server.delete_user("alice")
    assert acme.server.get_user("alice")["is_enrolled"] is False
    with pytest.raises(ApiException) as error:
        acme.server.delete_user("alice")
    assert (error.value.status_code, error.value.error_code) == (404, "user_not_found")


def test_bad_key_is_401_unauthorized(acme):
    with pytest.raises(ApiException) as error:
        authsignal_client("rk_" + "x" * 43).get_user("alice")
    assert (error.value.status_code, error.value.error_code) == (401, "unauthorized")


def test_missing_credentials_is_401(acme, client):
    response = client.get("/v1/users/alice")
    assert response.status_code == 401
    assert response.json()["errorCode"] == "unauthorized"
    assert response["Content-Type"] == "application/json"


def test_malformed_basic_header_is_401(acme, client):
    response = client.get("/v1/users/alice", HTTP_AUTHORIZATION="Basic %%%")
    assert (response.status_code, response.json()["errorCode"]) == (401, "unauthorized")


def test_public_tenant_id_is_not_a_server_key(acme, client):
    basic = base64.b64encode(f"{acme.tenant_id}:".encode()).decode()
    response = client.get("/v1/users/alice", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 401


def test_secret_keys_are_stored_hashed(acme):
    key = SecretKey.objects.get(tenant=acme.tenant)
    assert acme.secret not in (key.key_hash, key.prefix)
    assert key.key_hash == secret_key_hash(acme.secret)


def test_revoked_key_stops_working_at_once(acme):
    secret_key_revoke(key=SecretKey.objects.get(tenant=acme.tenant))
    with pytest.raises(ApiException) as error:
        acme.server.get_user("alice")
    assert error.value.status_code == 401


def test_rotation_issues_a_new_key_and_revokes_the_old(acme):
    _, new_secret = secret_key_rotate(tenant=acme.tenant)
    assert authsignal_client(new_secret).get_user("alice")["is_enrolled"] is False
    with pytest.raises(ApiException):
        acme.server.get_user("alice")


def test_tenants_are_isolated(acme, globex):
    device = acme.bound_device("alice")
    acme.server.update_user("alice", {"email": "alice@acme.test"})
    tracked = acme.track("alice")

    assert globex.server.get_user("alice")["email"] is None
    assert globex.server.get_authenticators("alice") == []
    with pytest.raises(ApiException) as error:
        globex.server.get_action("alice", "signIn", tracked["idempotency_key"])
    assert error.value.status_code == 404
    device_id = device.key().binding["deviceId"]
    with pytest.raises(ApiException) as error:
        globex.delete_device("alice", device_id)
    assert error.value.status_code == 404
    authenticator_id = device.key().binding["userAuthenticatorId"]
    with pytest.raises(ApiException):
        globex.server.delete_authenticator("alice", authenticator_id)
    # acme's token cannot start a challenge under globex's tenant id either
    assert acme.server.get_authenticators("alice")[0]["user_authenticator_id"] == authenticator_id
