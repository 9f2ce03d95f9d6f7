"""Push delivery through Web Push, FCM and APNs, each against a local stand-in of its gateway
that checks the protocol (auth, headers, body) as the real one does."""

import json

import pytest

from devices.push import (
    InvalidPushMessage,
    InvalidRegistration,
    PushDeliveryError,
    PushNotConfigured,
    PushRejected,
    StaleRegistration,
    push_registration_validate,
    push_send,
    vapid_public_key,
)
from devices.push.webpush import aes128gcm_encrypt
from tests.push_standins.webpush import WebPushBrowser, b64url, unb64url

MESSAGE = {
    "challengeId": "3f0c6a52-1d5e-4c1b-9a8e-7d2f5e0b9c11",
    "actionCode": "signIn",
    "tenantName": "Acme",
    "expiresAt": "2030-01-01T00:00:00Z",
}


# --- Web Push ------------------------------------------------------------------------------

# RFC 8291 Appendix A: fixed keys and salt, and the exact message body they produce.
RFC8291 = {
    "plaintext": b"When I grow up, I want to be a watermelon",
    "as_private": "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
    "ua_private": "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
    "ua_public": (
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
    ),
    "salt": "DGv6ra1nlYgDCS1FRnbzlw",
    "auth": "BTBZMqHH6r4Tts7J_aSIgg",
    "body": (
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInm"
        "YWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQe"
        "xSgSxsj_Qulcy4a-fN"
    ),
}


def _p256(private_b64: str):
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.derive_private_key(int.from_bytes(unb64url(private_b64), "big"), ec.SECP256R1())


def test_encryption_reproduces_the_rfc_8291_example_byte_for_byte():
    body = aes128gcm_encrypt(
        RFC8291["plaintext"],
        ua_public=unb64url(RFC8291["ua_public"]),
        auth_secret=unb64url(RFC8291["auth"]),
        salt=unb64url(RFC8291["salt"]),
        sender_key=_p256(RFC8291["as_private"]),
    )
    assert b64url(body) == RFC8291["body"]


def test_the_standin_browser_decrypts_the_rfc_8291_example():
    browser = WebPushBrowser(_p256(RFC8291["ua_private"]), unb64url(RFC8291["auth"]))
    assert b64url(browser.public_bytes) == RFC8291["ua_public"]
    assert browser.decrypt(unb64url(RFC8291["body"])) == RFC8291["plaintext"]


def test_vapid_public_key_is_a_stable_uncompressed_p256_point():
    key = unb64url(vapid_public_key())
    assert len(key) == 65 and key[0] == 4
    assert vapid_public_key() == vapid_public_key()


def test_web_push_is_encrypted_for_the_browser_and_delivered(webpush_standin):
    browser = WebPushBrowser()
    subscription = webpush_standin.subscribe(browser, vapid_public_key())

    push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE, ttl_seconds=120)
    push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)

    assert browser.messages == [MESSAGE, MESSAGE]
    first, second = webpush_standin.deliveries
    assert (first["ttl"], first["urgency"], second["ttl"]) == (120, "high", 300)


def test_web_push_to_an_expired_subscription_is_stale(webpush_standin):
    browser = WebPushBrowser()
    subscription = webpush_standin.subscribe(browser, vapid_public_key())
    webpush_standin.unsubscribe(subscription["endpoint"])

    with pytest.raises(StaleRegistration):
        push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)
    assert browser.messages == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_web_push_service_trouble_is_worth_retrying(webpush_standin, status):
    subscription = webpush_standin.subscribe(WebPushBrowser(), vapid_public_key())
    webpush_standin.fail_with = status

    with pytest.raises(PushDeliveryError) as raised:
        push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)
    assert not isinstance(raised.value, StaleRegistration)


@pytest.mark.parametrize("status", [400, 413])
def test_web_push_refusals_are_not_retried(webpush_standin, status):
    subscription = webpush_standin.subscribe(WebPushBrowser(), vapid_public_key())
    webpush_standin.fail_with = status

    with pytest.raises(PushRejected):
        push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)
    assert len(webpush_standin.requests) == 1


def test_a_refused_vapid_token_is_replaced_once(webpush_standin):
    browser = WebPushBrowser()
    subscription = webpush_standin.subscribe(browser, vapid_public_key())
    push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)
    webpush_standin.revoke_seen_tokens()

    push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)

    assert [r["status"] for r in webpush_standin.requests] == [201, 401, 201]
    assert browser.messages == [MESSAGE, MESSAGE]


def test_a_subscription_made_for_another_server_key_is_refused_after_one_retry(webpush_standin):
    other_key = b64url(WebPushBrowser().public_bytes)  # any other P-256 public key
    subscription = webpush_standin.subscribe(WebPushBrowser(), other_key)

    with pytest.raises(PushRejected):
        push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)
    assert [r["status"] for r in webpush_standin.requests] == [403, 403]


def _valid_subscription():
    return WebPushBrowser().subscription("https://127.0.0.1:1/wpush/v2/abc")


def _with(change):
    registration = _valid_subscription()
    change(registration)
    return registration


@pytest.mark.parametrize(
    "registration",
    [
        None,
        "https://127.0.0.1/wpush",
        {},
        _with(lambda r: r.pop("keys")),
        _with(lambda r: r["keys"].pop("auth")),
        _with(lambda r: r["keys"].pop("p256dh")),
        _with(lambda r: r["keys"].update(auth="not base64!")),
        _with(lambda r: r["keys"].update(auth=b64url(b"short"))),
        _with(lambda r: r["keys"].update(p256dh=12345)),
        _with(lambda r: r["keys"].update(p256dh=b64url(b"\x04" + b"\x01" * 64))),
        _with(lambda r: r.update(endpoint=["https://127.0.0.1/"])),
        _with(lambda r: r.update(endpoint="http://127.0.0.1:1/wpush/v2/abc")),
        _with(lambda r: r.update(endpoint="https://169.254.169.254/latest/meta-data")),
    ],
    ids=[
        "none",
        "string",
        "empty",
        "no-keys",
        "no-auth",
        "no-p256dh",
        "auth-not-base64",
        "auth-short",
        "p256dh-not-string",
        "p256dh-off-curve",
        "endpoint-not-string",
        "endpoint-not-https",
        "endpoint-host-not-allowed",
    ],
)
def test_malformed_web_push_registrations_fail_before_any_request(webpush_standin, registration):
    with pytest.raises(InvalidRegistration) as raised:
        push_send(channel="WEB_PUSH", registration=registration, message=MESSAGE)
    assert isinstance(raised.value, ValueError)
    assert webpush_standin.requests == []


def test_a_message_too_large_for_web_push_fails_before_any_request(webpush_standin):
    subscription = webpush_standin.subscribe(WebPushBrowser(), vapid_public_key())

    with pytest.raises(InvalidPushMessage):
        push_send(channel="WEB_PUSH", registration=subscription, message={"x": "a" * 4000})
    assert webpush_standin.requests == []


def test_web_push_without_a_vapid_subject_is_not_configured(webpush_standin, settings):
    settings.RECOGNIZE_PUSH_VAPID_SUBJECT = ""
    subscription = webpush_standin.subscribe(WebPushBrowser(), vapid_public_key())

    with pytest.raises(PushNotConfigured, match="RECOGNIZE_PUSH_VAPID_SUBJECT"):
        push_send(channel="WEB_PUSH", registration=subscription, message=MESSAGE)


# --- FCM -----------------------------------------------------------------------------------


def test_fcm_gets_an_access_token_once_and_delivers_a_data_message(fcm_standin):
    token = fcm_standin.register_device()

    push_send(channel="FCM", registration={"token": token}, message={**MESSAGE, "attempt": 2})
    push_send(channel="FCM", registration={"token": token}, message=MESSAGE, ttl_seconds=60)

    first, second = fcm_standin.messages
    assert first["token"] == token
    assert first["data"] == {**MESSAGE, "attempt": "2"}
    assert first["android"] == {"priority": "high", "ttl": "300s"}
    assert second["android"]["ttl"] == "60s"
    assert [r["status"] for r in fcm_standin.token_requests] == [200]


@pytest.mark.parametrize("how", ["unregistered", "never-valid"])
def test_an_fcm_token_that_is_gone_is_stale(fcm_standin, how):
    token = fcm_standin.register_device()
    if how == "unregistered":
        fcm_standin.unregister(token)
    else:
        token = "made-up-token"

    with pytest.raises(StaleRegistration):
        push_send(channel="FCM", registration={"token": token}, message=MESSAGE)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_fcm_trouble_is_worth_retrying(fcm_standin, status):
    token = fcm_standin.register_device()
    fcm_standin.fail_with = status

    with pytest.raises(PushDeliveryError) as raised:
        push_send(channel="FCM", registration={"token": token}, message=MESSAGE)
    assert not isinstance(raised.value, StaleRegistration)
    assert raised.value.retry_after == (7 if status == 429 else None)


def test_fcm_access_token_refused_is_renewed_once(fcm_standin):
    token = fcm_standin.register_device()
    push_send(channel="FCM", registration={"token": token}, message=MESSAGE)
    fcm_standin.revoke_access_tokens()

    push_send(channel="FCM", registration={"token": token}, message=MESSAGE)

    assert fcm_standin.send_statuses == [200, 401, 200]
    assert len(fcm_standin.token_requests) == 2
    assert len(fcm_standin.messages) == 2


def test_fcm_credentials_the_token_endpoint_refuses_are_rejected(fcm_standin, settings, tmp_path):
    account = fcm_standin.service_account()
    account["client_email"] = "someone-else@example.iam.gserviceaccount.com"
    path = tmp_path / "other.json"
    path.write_text(json.dumps(account))
    settings.RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE = str(path)

    with pytest.raises(PushRejected, match="invalid_grant"):
        push_send(channel="FCM", registration={"token": "t"}, message=MESSAGE)
    assert fcm_standin.send_statuses == []


@pytest.mark.parametrize(
    "registration",
    [None, [], {}, {"token": ""}, {"token": 42}, {"token": "has space"}, {"registrationId": "x"}],
)
def test_malformed_fcm_registrations_fail_before_any_request(fcm_standin, registration):
    with pytest.raises(InvalidRegistration):
        push_send(channel="FCM", registration=registration, message=MESSAGE)
    assert fcm_standin.token_requests == [] and fcm_standin.send_statuses == []


def test_fcm_reserved_data_keys_fail_before_any_request(fcm_standin):
    with pytest.raises(InvalidPushMessage, match="from"):
        push_send(channel="FCM", registration={"token": "t"}, message={"from": "x"})
    assert fcm_standin.token_requests == []


def test_fcm_without_a_service_account_is_not_configured(settings):
    settings.RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE = ""

    with pytest.raises(PushNotConfigured, match="RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE"):
        push_send(channel="FCM", registration={"token": "t"}, message=MESSAGE)


# --- APNs ----------------------------------------------------------------------------------


def test_apns_delivers_an_alert_over_http2_reusing_its_provider_token(apns_standin):
    device_token = apns_standin.register_device()

    push_send(channel="APNS", registration={"deviceToken": device_token.upper()}, message=MESSAGE)
    push_send(channel="APNS", registration={"deviceToken": device_token}, message=MESSAGE)

    assert apns_standin.http_versions == ["2", "2"]
    first, second = apns_standin.notifications
    assert first["device_token"] == device_token
    assert first["payload"]["aps"]["alert"]["title"] == "Acme"
    assert {k: first["payload"][k] for k in MESSAGE} == MESSAGE
    headers = first["headers"]
    assert (headers["apns-topic"], headers["apns-push-type"]) == (apns_standin.topic, "alert")
    assert headers["apns-priority"] == "10"
    assert int(headers["apns-expiration"]) > 0
    assert first["provider_token"] == second["provider_token"]


@pytest.mark.parametrize("how", ["unregistered", "bad-device-token"])
def test_an_apns_device_token_that_is_gone_is_stale(apns_standin, how):
    device_token = apns_standin.register_device()
    if how == "unregistered":
        apns_standin.unregister(device_token)
    else:
        device_token = "ab" * 32

    with pytest.raises(StaleRegistration):
        push_send(channel="APNS", registration={"deviceToken": device_token}, message=MESSAGE)
    assert apns_standin.responses[-1][1] in ("Unregistered", "BadDeviceToken")


@pytest.mark.parametrize("status", [429, 500, 503])
def test_apns_trouble_is_worth_retrying(apns_standin, status):
    device_token = apns_standin.register_device()
    apns_standin.fail_with = status

    with pytest.raises(PushDeliveryError) as raised:
        push_send(channel="APNS", registration={"deviceToken": device_token}, message=MESSAGE)
    assert not isinstance(raised.value, StaleRegistration)


def test_an_expired_apns_provider_token_is_replaced_once(apns_standin):
    device_token = apns_standin.register_device()
    push_send(channel="APNS", registration={"deviceToken": device_token}, message=MESSAGE)
    apns_standin.expire_seen_tokens()

    push_send(channel="APNS", registration={"deviceToken": device_token}, message=MESSAGE)

    assert [status for status, _ in apns_standin.responses] == [200, 403, 200]
    first, second = apns_standin.notifications
    assert first["provider_token"] != second["provider_token"]


def test_an_apns_signing_key_apple_does_not_know_is_rejected(apns_standin, settings):
    settings.RECOGNIZE_PUSH_APNS_KEY_ID = "OTHERKEY01"
    device_token = apns_standin.register_device()

    with pytest.raises(PushRejected, match="InvalidProviderToken"):
        push_send(channel="APNS", registration={"deviceToken": device_token}, message=MESSAGE)
    assert apns_standin.responses == [(403, "InvalidProviderToken")]


@pytest.mark.parametrize(
    "registration",
    [
        None,
        {},
        {"deviceToken": ""},
        {"deviceToken": 1234},
        {"deviceToken": "zz" * 32},
        {"deviceToken": "abc"},
        {"token": "ab" * 32},
    ],
)
def test_malformed_apns_registrations_fail_before_any_request(apns_standin, registration):
    with pytest.raises(InvalidRegistration):
        push_send(channel="APNS", registration=registration, message=MESSAGE)
    assert apns_standin.responses == []


def test_apns_without_settings_is_not_configured(settings):
    settings.RECOGNIZE_PUSH_APNS_KEY_FILE = ""
    settings.RECOGNIZE_PUSH_APNS_TOPIC = ""

    with pytest.raises(PushNotConfigured, match="RECOGNIZE_PUSH_APNS_KEY_FILE"):
        push_send(channel="APNS", registration={"deviceToken": "ab" * 32}, message=MESSAGE)


# --- Any channel ---------------------------------------------------------------------------


def test_an_unknown_channel_is_an_invalid_registration():
    with pytest.raises(InvalidRegistration, match="SMS"):
        push_registration_validate(channel="SMS", registration={})


@pytest.mark.parametrize(
    ("message", "ttl"),
    [("text", 300), ({1: "x"}, 300), ({"x": object()}, 300), (MESSAGE, -1), (MESSAGE, "300")],
)
def test_bad_messages_and_ttls_fail_before_any_request(message, ttl):
    with pytest.raises(InvalidPushMessage):
        push_send(channel="FCM", registration={"token": "t"}, message=message, ttl_seconds=ttl)
