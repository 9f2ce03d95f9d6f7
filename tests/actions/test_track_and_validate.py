"""Track, get/update action and validate, driven by the official Authsignal SDK."""

import jwt
import pytest
from authsignal.client import ApiException

from actions.models import Action, ActionConfig


def test_track_returns_authsignal_fields(acme):
    tracked = acme.track("alice", email="alice@example.com")
    assert tracked["state"] == "CHALLENGE_REQUIRED"
    assert tracked["is_enrolled"] is False
    assert tracked["allowed_verification_methods"] == ["IN_APP", "PASSKEY", "SECURITY_KEY"]
    assert tracked["enrolled_verification_methods"] == []
    assert tracked["url"].startswith("http")
    assert tracked["idempotency_key"]


def test_track_accepts_the_sdk_test_suite_snake_case_attributes(acme):
    tracked = acme.server.track(
        "user123",
        "python-sdk-test",
        {
            "redirect_url": "http://localhost:3000",
            "redirect_to_settings": True,
            "email": "not-a-real-email@example.com",
            "phone_number": "1234567890",
            "ip_address": "127.0.0.1",
            "user_agent": "Authsignal-Python-SDK-Tests/1.0",
            "device_id": "device123",
            "custom": {"hello": "world"},
        },
    )
    action = acme.server.get_action("user123", "python-sdk-test", tracked["idempotency_key"])
    assert action["ip_address"] == "127.0.0.1"
    assert action["device_id"] == "device123"
    assert action["custom"] == {"hello": "world"}
    assert action["output"]["state"] == "CHALLENGE_REQUIRED"


def test_token_names_tenant_user_action_and_expires_within_ten_minutes(acme):
    tracked = acme.track("alice", scope="add:authenticators")
    claims = jwt.decode(tracked["token"], options={"verify_signature": False})
    assert claims["tid"] == acme.tenant_id
    assert claims["sub"] == "alice"
    assert claims["act"] == "signIn"
    assert claims["idk"] == tracked["idempotency_key"]
    assert "add:authenticators" in claims["scope"].split()
    assert 0 < claims["exp"] - claims["iat"] <= 600


def test_token_verifies_against_the_published_jwks(acme, client):
    tracked = acme.track("alice")
    jwks = client.get("/.well-known/jwks.json").json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(tracked["token"], key, algorithms=["ES256"], audience="recognize:action")
    assert claims["sub"] == "alice"


@pytest.mark.parametrize("outcome", ["ALLOW", "BLOCK", "REVIEW_REQUIRED", "CHALLENGE_REQUIRED"])
def test_default_outcome_per_action_code(acme, outcome):
    ActionConfig.objects.create(tenant=acme.tenant, action_code="pay", default_outcome=outcome)
    assert acme.track("alice", "pay")["state"] == outcome
    assert acme.track("alice", "signIn")["state"] == "CHALLENGE_REQUIRED"


def test_get_and_update_action(acme):
    tracked = acme.track("alice", "pay")
    got = acme.server.get_action("alice", "pay", tracked["idempotency_key"])
    assert got["state"] == "CHALLENGE_REQUIRED"
    updated = acme.server.update_action(
        "alice", "pay", tracked["idempotency_key"], {"state": "REVIEW_SUCCEEDED"}
    )
    assert updated["state"] == "REVIEW_SUCCEEDED"
    assert acme.server.validate_challenge({"token": tracked["token"]})["is_valid"] is True


@pytest.mark.parametrize(
    "attributes, code",
    [
        ({"state": "NOT_A_STATE"}, "invalid_request"),
        ({"state": "BLOCK!", "extra": 1}, "invalid_request"),
        ({"extra": 1}, "invalid_request"),
    ],
)
def test_update_action_bad_input(acme, attributes, code):
    tracked = acme.track("alice", "pay")
    with pytest.raises(ApiException) as error:
        acme.server.update_action("alice", "pay", tracked["idempotency_key"], attributes)
    assert (error.value.status_code, error.value.error_code) == (400, code)
    assert Action.objects.get().state == "CHALLENGE_REQUIRED"


@pytest.mark.parametrize("key", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_action_is_404(acme, key):
    with pytest.raises(ApiException) as error:
        acme.server.get_action("alice", "pay", key)
    assert (error.value.status_code, error.value.error_code) == (404, "action_not_found")


def test_validate_unfinished_action_is_not_valid(acme):
    tracked = acme.track("alice")
    result = acme.server.validate_challenge({"token": tracked["token"]})
    assert result["is_valid"] is False
    assert result["state"] == "CHALLENGE_REQUIRED"
    assert result["user_id"] == "alice"
    assert result["action"] == "signIn"


def test_validate_checks_user_and_action_when_given(acme):
    tracked = acme.track("alice")
    with pytest.raises(ApiException) as error:
        acme.server.validate_challenge({"token": tracked["token"], "userId": "mallory"})
    assert (error.value.status_code, error.value.error_code) == (400, "token_mismatch")
    with pytest.raises(ApiException) as error:
        acme.server.validate_challenge({"token": tracked["token"], "action": "withdraw"})
    assert error.value.error_code == "token_mismatch"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 5000])
def test_validate_garbage_token(acme, token):
    with pytest.raises(ApiException) as error:
        acme.server.validate_challenge({"token": token})
    assert error.value.status_code == 400
    assert error.value.error_code in {"invalid_token", "invalid_request"}


def test_validate_expired_token(acme):
    from actions.tokens import token_issue

    tracked = acme.track("alice")
    action = Action.objects.get(idempotency_key=tracked["idempotency_key"])
    action.tenant.token_ttl_seconds = -1
    with pytest.raises(ApiException) as error:
        acme.server.validate_challenge({"token": token_issue(action=action)})
    assert (error.value.status_code, error.value.error_code) == (400, "expired_token")


def test_validate_token_signed_by_another_key(acme):
    from cryptography.hazmat.primitives.asymmetric import ec

    tracked = acme.track("alice")
    claims = jwt.decode(tracked["token"], options={"verify_signature": False})
    forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    with pytest.raises(ApiException) as error:
        acme.server.validate_challenge({"token": forged})
    assert error.value.error_code == "invalid_token"


@pytest.mark.parametrize(
    "path_user, path_action, body, code",
    [
        ("alice", "sign in!", {}, "invalid_request"),
        ("a" * 256, "signIn", {}, "invalid_request"),
        ("alice", "signIn", {"ipAddress": "not-an-ip"}, "invalid_request"),
        ("alice", "signIn", {"custom": "not an object"}, "invalid_request"),
        ("alice", "signIn", {"email": 42}, "invalid_request"),
        ("alice", "signIn", {"unknownField": 1, "idempotencyKey": "not-a-uuid"}, "invalid_request"),
        ("alice", "signIn", {"customDomain": ["a"]}, "invalid_request"),
        ("alice", "signIn", {"scope": "delete:everything"}, "invalid_scope"),
    ],
)
def test_track_bad_input_changes_nothing(acme, path_user, path_action, body, code):
    with pytest.raises(ApiException) as error:
        acme.server.track(path_user, path_action, body)
    assert (error.value.status_code, error.value.error_code) == (400, code)
    assert error.value.error_description
    assert Action.objects.count() == 0


def test_track_keeps_authsignals_newer_attributes_and_ignores_unknown_ones(acme):
    """TrackAttributes of @authsignal/node src/types.ts (authsignal/authsignal-node)."""
    key = "0b6f9a0e-6d8a-4a3e-9d51-1f7c2b3a4d5e"
    tracked = acme.track(
        "alice",
        idempotencyKey=key,
        locale="en-NZ",
        customDomain="auth.example.com",
        challengeId="c-1",
        fieldOfAFutureSdk=True,
    )
    assert tracked["idempotency_key"] == key
    action = Action.objects.get()
    assert (str(action.idempotency_key), action.locale, action.custom_domain) == (
        key,
        "en-NZ",
        "auth.example.com",
    )
    got = acme.server.get_action("alice", "signIn", key)
    assert (got["locale"], got["custom_domain"]) == ("en-NZ", "auth.example.com")


def test_tracking_again_with_the_same_idempotency_key_returns_the_same_action(acme):
    key = "0b6f9a0e-6d8a-4a3e-9d51-1f7c2b3a4d5e"
    first = acme.track("alice", idempotencyKey=key)
    again = acme.track("alice", idempotencyKey=key)
    assert again["idempotency_key"] == first["idempotency_key"] == key
    assert again["state"] == first["state"]
    assert Action.objects.count() == 1
    with pytest.raises(ApiException) as error:
        acme.track("bob", idempotencyKey=key)
    assert (error.value.status_code, error.value.error_code) == (409, "idempotency_key_conflict")
    assert Action.objects.count() == 1


def test_validate_names_the_action_as_action_and_action_code(acme):
    """authsignal-java model/ValidateChallengeResponse.java and authsignal-dotnet src/Models.cs
    read ``actionCode``; node and python read ``action``."""
    tracked = acme.track("alice")
    validated = acme.server.validate_challenge({"token": tracked["token"]})
    assert validated["action"] == validated["action_code"] == "signIn"
