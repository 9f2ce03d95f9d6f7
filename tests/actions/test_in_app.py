"""In-app verification: bind a device key, answer a challenge, validate the result once."""

import base64
from datetime import timedelta

import pytest
from authsignal.client import ApiException
from django.utils import timezone

from actions.models import Action, Challenge
from devices.models import Authenticator, Device
from events.models import AuditEvent
from recognize_sdk import DeviceKey, RecognizeError


@pytest.fixture(params=["transaction", "one statement"])
def acme(request, acme):
    """Each test twice on PostgreSQL: with devices as bound, whose first verification takes
    the transactional path, and with devices used a moment ago, whose ordinary verifications
    take the one-statement path (``actions.verify_at_once``)."""
    if request.param == "transaction":
        return acme
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    bind = acme.bound_device

    def bound_and_used(*args, **kwargs):
        device = bind(*args, **kwargs)
        now = timezone.now()
        Authenticator.objects.filter(verification_method="IN_APP").update(last_verified_at=now)
        Device.objects.update(last_used_at=now)
        return device

    acme.bound_device = bound_and_used
    return acme


def test_whole_flow_track_bind_verify_validate(acme):
    device = acme.bound_device("alice")
    tracked = acme.track("alice")
    assert tracked["state"] == "CHALLENGE_REQUIRED"
    assert tracked["is_enrolled"] is True
    assert tracked["enrolled_verification_methods"] == ["IN_APP"]

    verified = device.verify(token=tracked["token"])
    assert verified["state"] == "CHALLENGE_SUCCEEDED"
    assert verified["userId"] == "alice"

    first = acme.server.validate_challenge({"token": verified["token"]})
    assert first["is_valid"] is True
    assert first["verification_method"] == "IN_APP"
    assert first["idempotency_key"] == tracked["idempotency_key"]
    again = acme.server.validate_challenge({"token": verified["token"]})
    assert again["is_valid"] is False
    assert again["state"] == "CHALLENGE_SUCCEEDED"


def test_bind_creates_sdk_device_and_in_app_authenticator(acme):
    device = acme.bound_device("alice", name="Alice's phone")
    binding = device.key().binding
    stored = Device.objects.get(pk=binding["deviceId"])
    assert stored.type == "SDK"
    assert stored.name == "Alice's phone"
    assert stored.public_key == device.key().public_key
    assert Authenticator.objects.get(pk=binding["userAuthenticatorId"]).verification_method == (
        "IN_APP"
    )
    listed = acme.server.get_authenticators("alice")
    assert [a["verification_method"] for a in listed] == ["IN_APP"]


def test_binding_needs_the_add_authenticators_scope(acme):
    acme.bound_device("alice")  # enrolled now, so tracking no longer grants the scope
    token = acme.track("alice")["token"]
    with pytest.raises(RecognizeError) as error:
        acme.device("second").bind(token=token)
    assert (error.value.status, error.value.code) == (403, "insufficient_scope")
    assert Device.objects.count() == 1


def test_add_credential_token_is_single_use(acme):
    token = acme.track("alice", scope="add:authenticators")["token"]
    acme.device("one").bind(token=token)
    with pytest.raises(RecognizeError) as error:
        acme.device("two").bind(token=token)
    assert (error.value.status, error.value.code) == (401, "token_used")
    assert Device.objects.count() == 1


def test_same_key_cannot_be_bound_to_two_users(acme):
    device = acme.bound_device("alice")
    token = acme.track("bob", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        acme.device_client().add_in_app_credential(token=token, public_key=device.key().public_key)
    assert (error.value.status, error.value.code) == (409, "credential_exists")


@pytest.mark.parametrize(
    "public_key",
    [
        "not base64 !!",
        base64.b64encode(b"\x04" + b"\x01" * 64).decode(),  # not a point on the curve
        base64.b64encode(b"garbage").decode(),
        "",
    ],
)
def test_malformed_public_key_is_refused(acme, public_key):
    token = acme.track("alice", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        acme.device_client().add_in_app_credential(token=token, public_key=public_key)
    assert error.value.status == 400
    assert error.value.code in {"invalid_public_key", "invalid_request"}
    assert Device.objects.count() == 0


def test_raw_uncompressed_point_key_as_ios_sends_is_accepted(acme):
    key = DeviceKey.generate()
    from cryptography.hazmat.primitives import serialization

    point = key.private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    token = acme.track("alice", scope="add:authenticators")["token"]
    client = acme.device_client()
    client.add_in_app_credential(token=token, public_key=base64.b64encode(point).decode())
    tracked = acme.track("alice")
    challenge = client.challenge(token=tracked["token"])
    result = client.verify_in_app(
        challenge_id=challenge["challengeId"],
        public_key=base64.b64encode(point).decode(),
        signature=key.sign(challenge["challengeId"]),
        token=tracked["token"],
    )
    assert result["state"] == "CHALLENGE_SUCCEEDED"


def _answer(acme, device, challenge_id, *, token=None, signature=None):
    key = device.key()
    return acme.device_client().verify_in_app(
        challenge_id=challenge_id,
        public_key=key.public_key,
        signature=signature or key.sign(challenge_id),
        token=token,
    )


def test_replayed_challenge_is_refused(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    challenge_id = acme.device_client().challenge(token=token)["challengeId"]
    _answer(acme, device, challenge_id, token=token)
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, challenge_id)
    assert (error.value.status, error.value.code) == (400, "challenge_used")


def test_expired_challenge_is_refused_at_use(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    challenge_id = acme.device_client().challenge(token=token)["challengeId"]
    Challenge.objects.filter(pk=challenge_id).update(expires_at=timezone.now() - timedelta(1))
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, challenge_id, token=token)
    assert (error.value.status, error.value.code) == (400, "challenge_expired")
    assert (
        Action.objects.get(
            idempotency_key=acme.server.validate_challenge({"token": token})["idempotency_key"]
        ).state
        == "CHALLENGE_REQUIRED"
    )


def test_unknown_challenge_is_refused(acme):
    device = acme.bound_device("alice")
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, "x" * 43, token=acme.track("alice")["token"])
    assert (error.value.status, error.value.code) == (400, "invalid_challenge")


def _fail_once(acme, device, token):
    challenge_id = acme.device_client().challenge(token=token)["challengeId"]
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, challenge_id, token=token, signature=DeviceKey.generate().sign("x"))
    return error.value


def test_item08_a_wrong_signature_fails_and_is_audited_but_not_counted(acme):
    """Security item 8: anyone knowing the public key and the tenant id can send a bad
    signature, so it must not count toward the device's lockout."""
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    challenge_id = acme.device_client().challenge(token=token)["challengeId"]
    other_key = DeviceKey.generate()
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, challenge_id, token=token, signature=other_key.sign(challenge_id))
    assert (error.value.status, error.value.code) == (401, "invalid_signature")
    assert "attemptsRemaining" not in error.value.body
    assert Authenticator.objects.get().failure_count == 0
    assert AuditEvent.objects.filter(
        event_type="authentication.failed", detail__reason="invalid_signature"
    ).exists()
    assert acme.server.validate_challenge({"token": token})["is_valid"] is False


def test_item08_no_number_of_bad_signatures_locks_the_device_out(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    for _ in range(12):
        assert _fail_once(acme, device, token).code == "invalid_signature"
    authenticator = Authenticator.objects.get()
    assert (authenticator.failure_count, authenticator.locked_until) == (0, None)
    assert device.verify(token=token)["state"] == "CHALLENGE_SUCCEEDED"


def test_a_locked_device_key_is_refused_even_with_the_right_signature(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    Authenticator.objects.update(locked_until=timezone.now() + timedelta(seconds=300))
    challenge_id = acme.device_client().challenge(token=token)["challengeId"]
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, challenge_id, token=token)
    assert (error.value.status, error.value.code) == (429, "authenticator_locked")
    assert "locked" in error.value.description


def test_token_of_another_user_cannot_complete_the_challenge(acme):
    alice = acme.bound_device("alice", name="alice")
    acme.bound_device("bob", name="bob")
    bobs_token = acme.track("bob")["token"]
    with pytest.raises(RecognizeError) as error:
        alice.verify(token=bobs_token)
    assert (error.value.status, error.value.code) == (403, "token_mismatch")
    assert not Action.objects.filter(state="CHALLENGE_SUCCEEDED").exists()


def test_completed_action_cannot_be_verified_again(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    device.verify(token=token)
    with pytest.raises(RecognizeError) as error:
        device.verify(token=token)
    assert (error.value.status, error.value.code) == (409, "action_not_pending")


def test_app_initiated_verification_with_action_code(acme):
    device = acme.bound_device("alice")
    result = device.verify(action="approvePayment")
    assert result["state"] == "CHALLENGE_SUCCEEDED"
    validated = acme.server.validate_challenge({"token": result["token"]})
    assert (validated["is_valid"], validated["action"]) == (True, "approvePayment")


def test_get_credential_by_public_key(acme):
    device = acme.bound_device("alice")
    found = acme.device_client().get_in_app_credential(public_key=device.key().public_key)
    assert found["userId"] == "alice"


def test_remove_credential_signed_by_the_device(acme):
    device = acme.bound_device("alice")
    removed = device.remove()
    assert removed["removedAuthenticatorId"]
    assert Device.objects.count() == 0
    assert not device.key_path.exists()


def test_remove_credential_with_bad_signature_changes_nothing(acme):
    device = acme.bound_device("alice")
    with pytest.raises(RecognizeError) as error:
        acme.device_client().remove_in_app_credential(
            fields={
                "publicKey": device.key().public_key,
                "signature": DeviceKey.generate().sign("1"),
            }
        )
    assert (error.value.status, error.value.code) == (401, "invalid_signature")
    assert Device.objects.count() == 1


def test_deleting_the_device_revokes_at_once(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    verified = device.verify(token=token)
    device_id = device.key().binding["deviceId"]
    acme.delete_device("alice", device_id)
    assert acme.server.validate_challenge({"token": verified["token"]})["is_valid"] is False
    with pytest.raises(RecognizeError) as error:
        device.verify(token=acme.track("alice")["token"])
    assert (error.value.status, error.value.code) == (404, "credential_not_found")


def test_challenge_needs_credentials(acme):
    client = acme.device_client()
    client.tenant_id = "not-a-tenant"
    with pytest.raises(RecognizeError) as error:
        client.challenge()
    assert (error.value.status, error.value.code) == (401, "unauthorized")


def test_expired_bearer_token_is_refused(acme, settings):
    from actions.tokens import token_issue

    tracked = acme.track("alice", scope="add:authenticators")
    action = Action.objects.get(idempotency_key=tracked["idempotency_key"])
    action.tenant.token_ttl_seconds = -1
    expired = token_issue(action=action, scopes={"add:authenticators"})
    with pytest.raises(RecognizeError) as error:
        acme.device("x").bind(token=expired)
    assert (error.value.status, error.value.code) == (401, "expired_token")


def test_validate_rejects_a_token_of_another_tenant(acme, globex):
    device = globex.bound_device("alice")
    verified = device.verify(token=globex.track("alice")["token"])
    with pytest.raises(ApiException) as error:
        acme.server.validate_challenge({"token": verified["token"]})
    assert (error.value.status_code, error.value.error_code) == (400, "invalid_token")
    assert globex.server.validate_challenge({"token": verified["token"]})["is_valid"] is True


def test_housekeeping_drops_only_what_can_no_longer_be_used(acme):
    from actions.models import ConsumedToken
    from actions.tasks import expired_purge

    token = acme.track("alice", scope="add:authenticators")["token"]
    acme.device("one").bind(token=token)
    fresh = acme.device_client().challenge(token=acme.track("alice")["token"])["challengeId"]
    stale = acme.device_client().challenge(token=acme.track("alice")["token"])["challengeId"]
    Challenge.objects.filter(pk=stale).update(expires_at=timezone.now() - timedelta(seconds=1))
    ConsumedToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired_purge.delay()
    assert list(Challenge.objects.values_list("pk", flat=True)) == [fresh]
    assert not ConsumedToken.objects.exists()


@pytest.mark.parametrize("with_token", [False, True])
def test_item11_a_challenge_issued_before_the_token_expired_completes_nothing_after(
    acme, with_token
):
    """Security item 11: the challenge (valid for two more minutes) outlived the action's token;
    answering it, with or without that token, must not complete the action."""
    device = acme.bound_device("alice")
    tracked = acme.track("alice")
    challenge_id = acme.device_client().challenge(token=tracked["token"])["challengeId"]
    expired = timezone.now() - timedelta(seconds=601)
    Action.objects.filter(idempotency_key=tracked["idempotency_key"]).update(created_at=expired)
    token = None
    if with_token:  # a token that is itself still valid: only the action's age can refuse it
        token = tracked["token"]
    with pytest.raises(RecognizeError) as error:
        _answer(acme, device, challenge_id, token=token)
    assert (error.value.status, error.value.code) == (401, "expired_token")
    action = Action.objects.get(idempotency_key=tracked["idempotency_key"])
    assert action.state == "CHALLENGE_REQUIRED"
    assert Challenge.objects.get(pk=challenge_id).used_at is None
