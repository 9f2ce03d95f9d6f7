"""Device-signed requests are bound to one purpose, tenant, device, body and nonce (security
item 4): unbinding a device, changing or stopping its push registration, polling for pushes."""

import math
import time

import pytest

from devices.models import Authenticator, Device, PushRegistration
from recognize_sdk import DeviceKey, RecognizeError
from recognize_sdk.proof import device_request_message
from recognize_sdk.push_device import PushDevice


def _phone(acme, user_id="alice", name="phone") -> PushDevice:
    device = acme.device(name)
    token = acme.track(user_id, "enroll", scope="add:authenticators")["token"]
    PushDevice(device).register(token=token)
    return PushDevice(device)


def _refused(call) -> RecognizeError:
    with pytest.raises(RecognizeError) as error:
        call()
    return error.value


def test_item04_a_signed_request_cannot_be_replayed(acme):
    phone = _phone(acme)
    signed = phone.device.signed("push.register", {"channel": "POLL"})
    assert phone.client.update_push_registration(fields=signed)["enabled"] is True
    replayed = _refused(lambda: phone.client.update_push_registration(fields=signed))
    assert (replayed.status, replayed.code) == (401, "challenge_used")


def test_item04_a_signature_for_one_operation_is_refused_by_another(acme):
    """The audit's chain: a signature made to stop push, replayed to unbind the device."""
    device = acme.bound_device("alice")
    PushDevice(device).register(
        token=acme.track("alice", "enroll", scope="add:authenticators")["token"]
    )
    signed = device.signed("push.remove")
    refused = _refused(lambda: device.client.remove_in_app_credential(fields=signed))
    assert (refused.status, refused.code) == (401, "invalid_signature")
    assert Device.objects.count() == 1
    assert device.client.remove_push_credential(fields=signed)  # what it was signed for
    assert Authenticator.objects.filter(verification_method="IN_APP").count() == 1


def test_item04_a_body_changed_after_signing_is_refused(acme):
    phone = _phone(acme)
    signed = phone.device.signed("push.register", {"channel": "POLL"})
    altered = {**signed, "registration": {}}
    refused = _refused(lambda: phone.client.update_push_registration(fields=altered))
    assert (refused.status, refused.code) == (401, "invalid_signature")
    assert PushRegistration.objects.get().channel == "POLL"


def test_item04_a_nonce_is_bound_to_its_key_and_tenant(acme, globex):
    phone = _phone(acme)
    other = _phone(acme, user_id="bob", name="other")
    key = phone.device.key()
    # The other install's nonce, signed correctly by this install's key: not this key's nonce.
    nonce = other.client.device_challenge(
        public_key=other.device.key().public_key, purpose="push.remove"
    )
    borrowed = {"publicKey": key.public_key, "challengeId": nonce["challengeId"]}
    message = device_request_message(
        purpose="push.remove",
        tenant_id=acme.tenant_id,
        challenge_id=nonce["challengeId"],
        fields=borrowed,
    )
    borrowed["signature"] = key.sign(message)
    refused = _refused(lambda: phone.client.remove_push_credential(fields=borrowed))
    assert (refused.status, refused.code) == (401, "invalid_challenge")
    # A nonce of this key under another tenant does not work here either.
    foreign = globex.device_client().device_challenge(
        public_key=key.public_key, purpose="push.remove"
    )
    borrowed["challengeId"] = foreign["challengeId"]
    borrowed["signature"] = key.sign(
        device_request_message(
            purpose="push.remove",
            tenant_id=acme.tenant_id,
            challenge_id=foreign["challengeId"],
            fields={k: v for k, v in borrowed.items() if k != "signature"},
        )
    )
    refused = _refused(lambda: phone.client.remove_push_credential(fields=borrowed))
    assert (refused.status, refused.code) == (401, "invalid_challenge")
    assert Authenticator.objects.filter(tenant=acme.tenant, verification_method="PUSH").count() == 2


def test_item04_registration_needs_a_nonce_not_a_time_value(acme):
    phone = _phone(acme)
    key = phone.device.key()
    window = str(math.floor(time.time() / 600))
    refused = _refused(
        lambda: phone.client.update_push_registration(
            fields={"publicKey": key.public_key, "signature": key.sign(window), "channel": "POLL"}
        )
    )
    assert (refused.status, refused.code) == (400, "invalid_request")


def test_item04_the_official_sdks_time_window_removal_works_once(acme):
    """The mobile SDKs remove a push credential by signing the current ten-minute window
    (authsignal-android module/src/main/java/com/authsignal/Signature.kt,
    generateTimeBasedMessage; push/AuthsignalPush.kt removeCredential): accepted, once."""
    phone = _phone(acme)
    key = phone.device.key()
    window = str(math.floor(time.time() / 600))
    fields = {"publicKey": key.public_key, "signature": key.sign(window)}
    assert phone.client.remove_push_credential(fields=fields)
    assert not Authenticator.objects.filter(verification_method="PUSH").exists()
    token = acme.track("alice", "enroll", scope="add:authenticators")["token"]
    phone.register(token=token)  # the same key registers again
    replayed = _refused(lambda: phone.client.remove_push_credential(fields=fields))
    assert (replayed.status, replayed.code) == (401, "signature_used")
    assert Authenticator.objects.filter(verification_method="PUSH").count() == 1


def test_item04_unbinding_with_a_nonce_and_with_a_forged_key(acme):
    device = acme.bound_device("alice")
    stranger = DeviceKey.generate()
    forged = {**device.signed("device.remove")}
    forged["signature"] = stranger.sign("anything")
    refused = _refused(lambda: device.client.remove_in_app_credential(fields=forged))
    assert (refused.status, refused.code) == (401, "invalid_signature")
    assert Device.objects.count() == 1
    assert device.remove()["removedAuthenticatorId"]
    assert Device.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"publicKey": "not a key", "purpose": "device.remove"},
        {"publicKey": DeviceKey.generate().public_key, "purpose": "admin.everything"},
        {"publicKey": 7, "purpose": "device.remove"},
    ],
)
def test_item04_bad_nonce_requests_are_refused(acme, body):
    refused = _refused(
        lambda: acme.device_client().request("POST", "/v1/client/device-challenge", body)
    )
    assert refused.status == 400
