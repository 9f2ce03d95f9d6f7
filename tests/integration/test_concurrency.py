"""Single use holds under concurrency: ten threads, exactly one success (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from authsignal.client import ApiException

from events.models import AuditEvent
from recognize_sdk import RecognizeError
from recognize_sdk.push_device import PushDevice

pytestmark = pytest.mark.integration

THREADS = 10


def _race(function) -> list:
    def attempt(_):
        try:
            return ("ok", function())
        except (RecognizeError, ApiException) as error:
            return ("error", getattr(error, "code", None) or error.error_code)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(attempt, range(THREADS)))


@pytest.mark.parametrize("used_before", [False, True], ids=["transaction", "one statement"])
def test_ten_threads_answer_the_same_challenge_exactly_one_wins(live, used_before):
    device = live.bound_device("alice")
    if used_before:  # so that the ordinary verification takes actions.verify_at_once
        device.verify(token=live.server.track("alice", "pay")["token"])
    token = live.server.track("alice", "pay")["token"]
    client = live.device_client()
    challenge_id = client.challenge(token=token)["challengeId"]
    key = device.key()
    signature = key.sign(challenge_id)

    results = _race(
        lambda: client.verify_in_app(
            challenge_id=challenge_id, public_key=key.public_key, signature=signature, token=token
        )
    )

    assert [kind for kind, _ in results].count("ok") == 1
    assert {detail for kind, detail in results if kind == "error"} == {"challenge_used"}
    completed = AuditEvent.objects.filter(event_type="action.updated")
    assert completed.count() == 1 + used_before


def test_ten_threads_validate_the_same_result_exactly_one_is_valid(live):
    device = live.bound_device("alice")
    verified = device.verify(token=live.server.track("alice", "pay")["token"])

    results = _race(lambda: live.server.validate_challenge({"token": verified["token"]}))

    assert [detail["is_valid"] for _, detail in results].count(True) == 1


def test_ten_threads_spend_the_same_enrollment_token_exactly_one_binds(live):
    token = live.server.track("bob", "enroll", {"scope": "add:authenticators"})["token"]
    devices = [live.device(f"phone-{i}") for i in range(THREADS)]
    keys = iter(devices)

    def bind():
        return next(keys).bind(token=token)

    results = _race(bind)

    assert [kind for kind, _ in results].count("ok") == 1
    assert {detail for kind, detail in results if kind == "error"} == {"token_used"}
    assert len(live.list_devices("bob")) == 1


def test_item04_ten_threads_send_the_same_signed_request_exactly_one_succeeds(live):
    """A device-signed request (here a push registration change) is single use."""
    device = live.device("phone")
    token = live.server.track("alice", "enroll", {"scope": "add:authenticators"})["token"]
    PushDevice(device).register(token=token)
    signed = device.signed("push.register", {"channel": "POLL"})

    results = _race(lambda: device.client.update_push_registration(fields=signed))

    assert [kind for kind, _ in results].count("ok") == 1
    assert {detail for kind, detail in results if kind == "error"} == {"challenge_used"}
