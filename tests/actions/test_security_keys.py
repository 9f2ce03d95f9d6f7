"""Security keys on the client API, with a software authenticator speaking the real formats.

Request shapes of ``@authsignal/browser`` 1.16.0
(tests/sdk_clients/browser/node_modules/@authsignal/browser/dist/index.js,
``SecurityKeyApiClient``): always the action token, ``{}`` for options (answered bare), and the
credential JSON as the whole body, without a ``challengeId``.
"""

import pytest

from devices.models import Authenticator
from tests.actions.passkey_support import SITE, Browser
from tests.webauthn_soft import SoftAuthenticator


def _enroll(shop, key: SoftAuthenticator):
    token = shop.track("alice", "enroll")["token"]
    browser = Browser(shop)
    options = browser.post(
        "/user-authenticators/security-key/registration-options", {}, token=token
    ).json()
    assert options["authenticatorSelection"]["residentKey"] == "discouraged"
    assert options["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
    return browser.post("/user-authenticators/security-key", key.create(options), token=token)


@pytest.fixture
def with_key(shop):
    key = SoftAuthenticator(origin=SITE, user_verifying=False, backup_eligible=False)
    response = _enroll(shop, key)
    assert response.status_code == 200, response.json()
    assert shop.server.validate_challenge({"token": response.json()["accessToken"]})["is_valid"]
    return shop, key


def _options(shop, token: str) -> dict:
    return (
        Browser(shop)
        .post("/user-authenticators/security-key/authentication-options", {}, token=token)
        .json()
    )


def test_a_security_key_verifies_an_action(with_key):
    shop, key = with_key
    token = shop.track("alice")["token"]
    options = _options(shop, token)
    assert [c["id"] for c in options["allowCredentials"]] == [key.id]
    response = Browser(shop).post("/verify/security-key", key.get(options), token=token)
    assert response.status_code == 200, response.json()
    validated = shop.server.validate_challenge({"token": response.json()["accessToken"]})
    assert (validated["is_valid"], validated["verification_method"]) == (True, "SECURITY_KEY")


def test_a_replayed_security_key_answer_is_refused(with_key):
    shop, key = with_key
    token = shop.track("alice")["token"]
    answer = key.get(_options(shop, token))
    assert Browser(shop).post("/verify/security-key", answer, token=token).status_code == 200
    replay = Browser(shop).post("/verify/security-key", answer, token=token)
    assert replay.json()["errorCode"] == "challenge_used"


def test_a_security_key_is_no_passkey(with_key):
    """A key enrolled as a second factor does not sign anyone in on its own."""
    shop, key = with_key
    browser = Browser(shop)
    options = browser.options()
    response = browser.verify(options, key.get({"rpId": "shop.example.com", **options["options"]}))
    assert response.json()["errorCode"] == "unknown_credential"
    assert Authenticator.objects.get().verification_method == "SECURITY_KEY"


def test_security_keys_need_the_action_token(with_key):
    shop, _ = with_key
    response = Browser(shop).post("/user-authenticators/security-key/authentication-options", {})
    assert response.status_code == 401
