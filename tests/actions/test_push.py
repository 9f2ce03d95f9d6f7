"""Push challenges: track → the app polls (or is woken by a gateway) → approve or deny →
the backend validates; number matching, push bombing limits, stale registrations."""

import json
from datetime import timedelta

import pytest
from authsignal.client import ApiException
from django.utils import timezone

from actions.models import Action, PushChallenge
from devices.models import PushRegistration
from devices.push import vapid_public_key
from events import webhooks
from events.models import AuditEvent
from recognize_sdk import DeviceKey, RecognizeError
from recognize_sdk.cli import main
from recognize_sdk.proof import device_request_message
from recognize_sdk.push_device import PushDevice
from tests.push_standins.webpush import WebPushBrowser


def _phone(acme, user_id="alice", name="phone", **registration) -> PushDevice:
    device = acme.device(name)
    token = acme.track(user_id, "enroll", scope="add:authenticators")["token"]
    PushDevice(device).register(token=token, **registration)
    return PushDevice(device)


def test_approve_with_the_number_shown_then_validate_once(acme_committed):
    phone = _phone(acme_committed)
    tracked = acme_committed.track("alice", "signIn")
    assert tracked["state"] == "CHALLENGE_REQUIRED"
    assert "PUSH" in tracked["enrolled_verification_methods"]
    code = tracked["push_verification_code"]
    assert len(code) == 2 and code.isdigit()
    pending = phone.poll()
    assert pending["actionCode"] == "signIn" and pending["numberMatching"] is True
    assert "verificationCode" not in pending  # the app never learns the number
    answered = phone.answer(approved=True, code=code)
    assert answered == {"isVerified": True, "state": "CHALLENGE_SUCCEEDED"}
    assert phone.poll()["challengeId"] is None
    validated = acme_committed.server.validate_challenge({"token": tracked["token"]})
    assert validated["is_valid"] is True and validated["verification_method"] == "PUSH"
    again = acme_committed.server.validate_challenge({"token": tracked["token"]})
    assert again["is_valid"] is False


def test_a_wrong_number_fails_the_action_and_counts(acme_committed):
    phone = _phone(acme_committed)
    tracked = acme_committed.track("alice", "signIn")
    wrong = f"{(int(tracked['push_verification_code']) + 1) % 100:02d}"
    with pytest.raises(RecognizeError) as error:
        phone.answer(approved=True, code=wrong)
    assert (error.value.status, error.value.code) == (401, "wrong_verification_code")
    assert error.value.body["attemptsRemaining"] == 4
    action = Action.objects.get(idempotency_key=tracked["idempotency_key"])
    assert action.state == "CHALLENGE_FAILED"
    challenge = PushChallenge.objects.get(action=action)
    with pytest.raises(RecognizeError) as again:
        phone.answer(
            approved=True, challenge_id=challenge.pk, code=tracked["push_verification_code"]
        )
    assert again.value.code == "challenge_used"


def test_deny_fails_the_action_and_tells_the_tenant(acme_committed):
    from tests.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver()
    webhooks._endpoints_cache.clear()
    webhooks.webhook_endpoint_create(
        tenant=acme_committed.tenant, url=receiver.url, event_types=["action.updated"]
    )
    phone = _phone(acme_committed)
    tracked = acme_committed.track("alice", "payment")
    assert phone.answer(approved=False) == {"isVerified": False, "state": "CHALLENGE_FAILED"}
    (delivered,) = receiver.wait_for(1)
    event = json.loads(delivered[1])
    assert event["type"] == "recognize.action.updated"
    assert event["data"]["reason"] == "DENIED_BY_USER"
    assert event["data"]["idempotencyKey"] == tracked["idempotency_key"]
    assert AuditEvent.objects.filter(event_type="push.denied").exists()
    assert (
        acme_committed.server.validate_challenge({"token": tracked["token"]})["is_valid"] is False
    )
    receiver.close()


def test_an_expired_challenge_cannot_be_answered(acme_committed):
    phone = _phone(acme_committed)
    acme_committed.track("alice", "signIn")
    challenge = PushChallenge.objects.get()
    PushChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert phone.poll()["challengeId"] is None
    with pytest.raises(RecognizeError) as error:
        phone.answer(approved=True, challenge_id=challenge.pk)
    assert error.value.code == "challenge_expired"


def _poll_signed(phone, key, *, challenge_id=None, signer=None):
    nonce = (
        challenge_id
        or phone.client.device_challenge(public_key=key.public_key, purpose="push.poll")[
            "challengeId"
        ]
    )
    message = device_request_message(
        purpose="push.poll", tenant_id=phone.client.tenant_id, challenge_id=nonce, fields={}
    )
    return phone.client.get_push_challenge(
        public_key=key.public_key, challenge_id=nonce, signature=(signer or key).sign(message)
    )


def test_polling_needs_a_fresh_signature_by_the_device_key(acme_committed):
    phone = _phone(acme_committed)
    key = phone.device.key()
    nonce = phone.client.device_challenge(public_key=key.public_key, purpose="push.poll")
    assert _poll_signed(phone, key, challenge_id=nonce["challengeId"])["challengeId"] is None
    with pytest.raises(RecognizeError) as replayed:
        _poll_signed(phone, key, challenge_id=nonce["challengeId"])
    assert (replayed.value.status, replayed.value.code) == (401, "challenge_used")
    stranger = acme_committed.device("stranger")
    stranger_key = DeviceKey.generate()
    stranger_key.save(stranger.key_path)
    with pytest.raises(RecognizeError) as forged:
        _poll_signed(phone, key, signer=stranger_key)
    assert (forged.value.status, forged.value.code) == (401, "invalid_signature")
    with pytest.raises(RecognizeError) as unknown:
        _poll_signed(phone, stranger_key)
    assert unknown.value.status == 404


def test_another_users_device_cannot_answer(acme_committed):
    _phone(acme_committed, "alice")
    mallory = _phone(acme_committed, "mallory", name="mallory-phone")
    acme_committed.track("alice", "signIn")
    challenge = PushChallenge.objects.get()
    with pytest.raises(RecognizeError) as error:
        mallory.answer(approved=True, challenge_id=challenge.pk)
    assert (error.value.status, error.value.code) == (404, "invalid_challenge")
    challenge.refresh_from_db()
    assert challenge.answered_at is None


def test_push_bombing_limits_refuse_before_anything_is_sent(acme_committed):
    _phone(acme_committed)
    for _ in range(3):
        acme_committed.track("alice", "signIn")
    actions = Action.objects.count()
    with pytest.raises(ApiException) as error:
        acme_committed.track("alice", "signIn")
    assert error.value.status_code == 429 and error.value.error_code == "too_many_pending_pushes"
    assert Action.objects.count() == actions and PushChallenge.objects.count() == 3
    PushChallenge.objects.update(answered_at=timezone.now(), approved=False)
    tenant = acme_committed.tenant
    tenant.push_max_per_hour = 4
    tenant.save()
    acme_committed.track("alice", "signIn")
    with pytest.raises(ApiException) as hourly:
        acme_committed.track("alice", "signIn")
    assert hourly.value.error_code == "too_many_pushes"


def test_without_number_matching_no_number_is_asked(acme_committed):
    acme_committed.tenant.push_number_matching = False
    acme_committed.tenant.save()
    phone = _phone(acme_committed)
    tracked = acme_committed.track("alice", "signIn")
    assert "push_verification_code" not in tracked
    assert phone.poll()["numberMatching"] is False
    assert phone.answer(approved=True)["isVerified"] is True


def test_web_push_wakes_the_browser_with_an_encrypted_message(acme_committed, webpush_standin):
    browser = WebPushBrowser()
    subscription = webpush_standin.subscribe(browser, vapid_public_key())
    _phone(acme_committed, channel="WEB_PUSH", registration=subscription)
    acme_committed.track("alice", "signIn")
    (message,) = browser.messages
    challenge = PushChallenge.objects.get()
    assert message["challengeId"] == challenge.pk and message["actionCode"] == "signIn"
    assert challenge.delivered_at is not None
    stored = PushRegistration.objects.get()
    assert subscription["endpoint"].encode() not in bytes(stored.sealed_registration)


def test_fcm_and_apns_deliver_the_challenge(acme_committed, fcm_standin, apns_standin):
    _phone(
        acme_committed,
        name="android",
        channel="FCM",
        registration={"token": fcm_standin.register_device()},
    )
    _phone(
        acme_committed,
        name="iphone",
        channel="APNS",
        registration={"deviceToken": apns_standin.register_device()},
    )
    acme_committed.track("alice", "signIn")
    challenge_id = PushChallenge.objects.get(action__action_code="signIn").pk
    assert fcm_standin.messages[-1]["data"]["challengeId"] == challenge_id
    assert apns_standin.notifications[-1]["payload"]["challengeId"] == challenge_id


def test_a_stale_registration_is_disabled_and_polling_still_works(acme_committed, fcm_standin):
    token = fcm_standin.register_device()
    phone = _phone(acme_committed, channel="FCM", registration={"token": token})
    fcm_standin.unregister(token)
    tracked = acme_committed.track("alice", "signIn")
    registration = PushRegistration.objects.get()
    assert registration.disabled_at is not None and "UNREGISTERED" in registration.disabled_reason
    assert phone.answer(approved=True, code=tracked["push_verification_code"])["isVerified"]


def test_a_gateway_outage_leaves_the_challenge_for_the_sweep(acme_committed, fcm_standin):
    from actions.push import push_challenge_deliver, push_outbox_due

    _phone(acme_committed, channel="FCM", registration={"token": fcm_standin.register_device()})
    fcm_standin.fail_with = 503
    acme_committed.track("alice", "signIn")
    challenge = PushChallenge.objects.get()
    assert challenge.delivered_at is None and challenge.delivery_attempts == 1
    PushChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert push_outbox_due() == [challenge.pk]
    fcm_standin.fail_with = None
    assert push_challenge_deliver(challenge.pk) is False
    assert len(fcm_standin.messages) == 1


@pytest.mark.parametrize(
    "registration",
    [
        {"channel": "WEB_PUSH", "registration": {"endpoint": "https://evil.example/x"}},
        {"channel": "FCM", "registration": {"token": 5}},
        {"channel": "APNS", "registration": {"deviceToken": "not hex"}},
    ],
)
def test_malformed_registrations_are_refused(acme_committed, registration):
    with pytest.raises(RecognizeError) as error:
        _phone(acme_committed, **registration)
    assert (error.value.status, error.value.code) == (400, "invalid_push_registration")
    assert not PushRegistration.objects.exists()


def test_the_cli_polls_approves_and_denies(acme_committed, monkeypatch, capsys):
    monkeypatch.setattr(
        "recognize_sdk.cli.RecognizeClient",
        lambda server, tenant: acme_committed.device_client(),
    )
    key_file = acme_committed.tmp_path / "cli-phone.json"
    base = ["--tenant", acme_committed.tenant_id, "--key-file", str(key_file), "push"]
    token = acme_committed.track("alice", "enroll", scope="add:authenticators")["token"]
    assert main([*base, "add", "--token", token]) == 0
    tracked = acme_committed.track("alice", "signIn")
    capsys.readouterr()
    assert main([*base, "poll"]) == 0
    assert json.loads(capsys.readouterr().out)["actionCode"] == "signIn"
    assert main([*base, "approve", "--code", tracked["push_verification_code"]]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "CHALLENGE_SUCCEEDED"
    acme_committed.track("alice", "payment")
    assert main([*base, "deny"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "CHALLENGE_FAILED"
    assert main([*base, "approve"]) == 1  # nothing pending
