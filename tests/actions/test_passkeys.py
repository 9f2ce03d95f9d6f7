"""Passkeys (WebAuthn) on the client API, with a software authenticator speaking the real
formats (tests/webauthn_soft.py); tests/sdk_clients/test_browser_sdk.py drives the same
endpoints from the official browser SDK in Chromium with its virtual authenticator.

Request shapes are those of ``@authsignal/browser`` 1.16.0
(tests/sdk_clients/browser/node_modules/@authsignal/browser/dist/index.js,
``PasskeyApiClient.registrationOptions`` / ``addAuthenticator`` / ``authenticationOptions`` /
``verify`` / ``challenge`` / ``getPasskeyAuthenticator``, headers from ``buildHeaders``).
"""

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from actions.models import Challenge
from devices.models import Authenticator, PasskeyCredential
from events.models import AuditEvent
from tests.actions.passkey_support import SITE, Browser
from tests.webauthn_soft import SoftAuthenticator


@pytest.fixture
def enrolled(shop):
    """Alice with a passkey; the authenticator is returned beside the tenant."""
    passkey = SoftAuthenticator(origin=SITE)
    response = Browser(shop).sign_up(passkey, shop.track("alice", "enroll")["token"])
    assert response.status_code == 200, response.json()
    return shop, passkey


def test_sign_up_adds_a_passkey_and_completes_the_action(shop):
    passkey = SoftAuthenticator(origin=SITE)
    track = shop.track("alice", "enroll", email="alice@example.com")
    response = Browser(shop).sign_up(passkey, track["token"])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["isVerified"] is True
    assert body["userId"] == "alice"
    credential = body["userAuthenticator"]["webauthnCredential"]
    assert credential["credentialId"] == passkey.id
    assert credential["credentialDeviceType"] == "multiDevice"
    methods = [a["verification_method"] for a in shop.server.get_authenticators("alice")]
    assert methods == ["PASSKEY"]
    validated = shop.server.validate_challenge({"token": body["accessToken"]})
    assert validated["is_valid"] is True
    assert validated["verification_method"] == "PASSKEY"


def test_registration_options_are_for_a_discoverable_verified_passkey(shop):
    token = shop.track("alice", "enroll")["token"]
    response = Browser(shop).post(
        "/user-authenticators/passkey/registration-options", {"username": "alice"}, token=token
    )
    options = response.json()["options"]
    assert options["rp"] == {"id": "shop.example.com", "name": "acme"}
    assert options["challenge"] == response.json()["challengeId"]
    assert options["attestation"] == "none"
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "required"
    assert "alice" not in options["user"]["id"]  # the user handle is opaque


def test_sign_up_from_another_origin_is_refused_and_audited(shop):
    passkey = SoftAuthenticator(origin=SITE)
    token = shop.track("alice", "enroll")["token"]
    response = Browser(shop).sign_up(passkey, token, origin="https://evil.example.net")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_credential"
    assert not PasskeyCredential.objects.exists()
    assert AuditEvent.objects.filter(event_type="passkey.registration_failed").exists()


def test_sign_up_needs_the_add_authenticators_scope_once_the_user_has_one(enrolled):
    shop, _ = enrolled
    response = Browser(shop).post(
        "/user-authenticators/passkey/registration-options",
        {"username": "alice"},
        token=shop.track("alice")["token"],
    )
    assert (response.status_code, response.json()["errorCode"]) == (403, "insufficient_scope")
    assert PasskeyCredential.objects.count() == 1


def test_sign_in_with_a_token(enrolled):
    shop, passkey = enrolled
    token = shop.track("alice")["token"]
    browser = Browser(shop)
    options = browser.options(token=token)
    assert [c["id"] for c in options["options"]["allowCredentials"]] == [passkey.id]
    response = browser.verify(options, passkey.get(options["options"]), token=token)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["isVerified"], body["userId"]) == (True, "alice")
    assert shop.server.validate_challenge({"token": body["accessToken"]})["is_valid"] is True


def test_sign_in_with_an_action_and_no_user_name(enrolled):
    """``signIn({action})``: challenge with the tenant id, then a discoverable passkey."""
    shop, passkey = enrolled
    browser = Browser(shop)
    challenge = browser.post("/challenge", {"action": "signIn"}).json()
    options = browser.options(challenge_id=challenge["challengeId"])
    assert options["challengeId"] == challenge["challengeId"]
    assert options["options"]["allowCredentials"] == []
    response = browser.verify(options, passkey.get(options["options"]))
    assert response.status_code == 200, response.json()
    validated = shop.server.validate_challenge({"token": response.json()["accessToken"]})
    assert (validated["is_valid"], validated["user_id"], validated["action"]) == (
        True,
        "alice",
        "signIn",
    )


def test_a_replayed_assertion_is_refused(enrolled):
    shop, passkey = enrolled
    browser = Browser(shop)
    options = browser.options()
    credential = passkey.get(options["options"])
    assert browser.verify(options, credential).status_code == 200
    replay = browser.verify(options, credential)
    assert replay.status_code == 400
    assert replay.json()["errorCode"] == "challenge_used"


def test_an_expired_challenge_is_refused(enrolled):
    shop, passkey = enrolled
    browser = Browser(shop)
    options = browser.options()
    Challenge.objects.filter(pk=options["challengeId"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = browser.verify(options, passkey.get(options["options"]))
    assert response.json()["errorCode"] == "challenge_expired"


@pytest.mark.parametrize(
    "answer",
    [
        {"tamper": True},  # a signature the passkey did not make
        {"origin": "https://evil.example.net"},  # a phishing site relaying the challenge
    ],
)
def test_a_response_the_passkey_did_not_make_is_audited_not_counted(enrolled, answer):
    shop, passkey = enrolled
    browser = Browser(shop)
    for _ in range(7):
        options = browser.options()
        response = browser.verify(options, passkey.get(options["options"], **answer))
        assert response.status_code == 401
        assert response.json()["errorCode"] == "invalid_credential"
    assert Authenticator.objects.get(verification_method="PASSKEY").failure_count == 0
    assert (
        AuditEvent.objects.filter(
            event_type="authentication.failed", detail__verificationMethod="PASSKEY"
        ).count()
        == 7
    )
    options = browser.options()
    assert browser.verify(options, passkey.get(options["options"])).status_code == 200


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"user_verified": False}, "user_not_verified"),
        ({"sign_count": 0}, "sign_count_invalid"),
    ],
)
def test_a_failed_check_of_a_real_assertion_counts_toward_the_lockout(enrolled, answer, code):
    shop, passkey = enrolled
    browser = Browser(shop)
    options = browser.options()
    assert browser.verify(options, passkey.get(options["options"])).status_code == 200
    for _ in range(5):
        options = browser.options()
        response = browser.verify(options, passkey.get(options["options"], **answer))
        assert response.json()["errorCode"] == code
    assert "Too many failed attempts" in response.json()["errorDescription"]
    options = browser.options()
    locked = browser.verify(options, passkey.get(options["options"]))
    assert locked.status_code == 429
    assert Challenge.objects.get(pk=options["challengeId"]).used_at is None


def test_an_unknown_passkey_is_refused(enrolled):
    shop, _ = enrolled
    browser = Browser(shop)
    options = browser.options()
    stranger = SoftAuthenticator(origin=SITE)
    stranger.user_handle = b"x" * 32
    response = browser.verify(options, stranger.get(options["options"]))
    assert (response.status_code, response.json()["errorCode"]) == (404, "unknown_credential")


def test_another_tenants_passkey_is_unknown(enrolled, globex):
    shop, passkey = enrolled
    globex.tenant.allowed_origins = [SITE]
    globex.tenant.save(update_fields=["allowed_origins"])
    browser = Browser(globex)
    options = browser.options()
    response = browser.verify(options, passkey.get(options["options"]))
    assert response.json()["errorCode"] == "unknown_credential"


def test_malformed_credentials_get_a_clear_400(enrolled):
    shop, _ = enrolled
    browser = Browser(shop)
    options = browser.options()
    for credential in ({}, {"id": "x"}, "text", [1]):
        response = browser.verify(options, credential)
        assert response.status_code == 400
        assert response.json()["errorCode"] in ("invalid_request", "validation_error")
    assert Challenge.objects.get(pk=options["challengeId"]).used_at is None


def test_is_available_on_device_finds_the_passkey_by_id(enrolled):
    """``isAvailableOnDevice``: GET with the tenant id and ``credentialIds``."""
    shop, passkey = enrolled
    http = Client()
    auth = "Basic " + base64.b64encode(shop.tenant_id.encode()).decode()
    found = http.get(
        f"/v1/client/user-authenticators/passkey?credentialIds=other,{passkey.id}",
        HTTP_AUTHORIZATION=auth,
        HTTP_ORIGIN=SITE,
    )
    assert found.status_code == 200
    assert found.json()["credentialId"] == passkey.id
    missing = http.get(
        "/v1/client/user-authenticators/passkey?credentialIds=nope", HTTP_AUTHORIZATION=auth
    )
    assert missing.status_code == 404


def test_track_offers_the_passkey_once_enrolled(enrolled):
    shop, _ = enrolled
    tracked = shop.track("alice")
    assert tracked["enrolled_verification_methods"] == ["PASSKEY"]
    assert tracked["allowed_verification_methods"] == ["PASSKEY"]


def test_the_backend_sees_and_deletes_the_passkey(enrolled):
    """Server API ``getAuthenticators`` carries ``webauthnCredential`` (node src/types.ts
    ``UserAuthenticator``); deleting the authenticator revokes the passkey at once."""
    shop, passkey = enrolled
    [authenticator] = shop.server.get_authenticators("alice")
    assert authenticator["webauthn_credential"]["credential_id"] == passkey.id
    shop.server.delete_authenticator("alice", authenticator["user_authenticator_id"])
    browser = Browser(shop)
    options = browser.options()
    response = browser.verify(options, passkey.get(options["options"]))
    assert response.json()["errorCode"] == "unknown_credential"


def test_the_app_lists_the_users_authenticators_with_a_read_token(enrolled):
    """``GET /client/user-authenticators`` (docs/compatibility.md c45, Android and iOS
    ``PasskeyAPI.getAuthenticators``)."""
    shop, passkey = enrolled
    http = Client()
    read = shop.track("alice", scope="read:authenticators")["token"]
    listed = http.get("/v1/client/user-authenticators", HTTP_AUTHORIZATION=f"Bearer {read}")
    assert listed.status_code == 200
    assert [a["webauthnCredential"]["credentialId"] for a in listed.json()] == [passkey.id]
    plain = shop.track("alice")["token"]
    refused = http.get("/v1/client/user-authenticators", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert refused.status_code == 403


def test_a_token_for_one_user_is_not_answered_by_anothers_passkey(enrolled):
    shop, _ = enrolled
    bobs = SoftAuthenticator(origin=SITE)
    assert Browser(shop).sign_up(bobs, shop.track("bob", "enroll")["token"]).status_code == 200
    token = shop.track("alice")["token"]
    browser = Browser(shop)
    options = browser.options(token=token)
    response = browser.verify(options, bobs.get(options["options"]), token=token)
    assert (response.status_code, response.json()["errorCode"]) == (403, "token_mismatch")
    assert shop.server.validate_challenge({"token": token})["is_valid"] is False
