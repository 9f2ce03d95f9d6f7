"""Adaptive rules deciding tracked actions, and a rule that asks for the face on a push."""

import pytest
from authsignal.client import ApiException

from actions.models import Action, PushChallenge
from actions.rules.selectors import rules_cache_clear
from recognize_sdk import RecognizeError
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.push_device import PushDevice
from tests.support import face_photo


def _rule(acme, action_code: str, **body) -> dict:
    url = f"{acme.server.api_url}/actions/{action_code}/rules"
    return acme.server.session.post(url, json=body).decamelized_content


@pytest.fixture
def payment_rules(acme):
    rules_cache_clear()
    return [
        _rule(
            acme,
            "payment",
            name="curl",
            outcome="BLOCK",
            conditions=[{"type": "user_agent", "op": "contains", "value": "curl"}],
        ),
        _rule(
            acme,
            "payment",
            name="big",
            outcome="CHALLENGE_REQUIRED",
            verificationMethods=["FACE"],
            conditions=[{"type": "custom", "field": "amount", "op": ">", "value": 1000}],
        ),
        _rule(
            acme,
            "payment",
            name="office",
            outcome="ALLOW",
            conditions=[{"type": "ip", "op": "in", "value": ["10.0.0.0/8"]}],
        ),
    ]


def test_the_first_matching_rule_decides_and_is_reported(acme, payment_rules):
    curl, big, office = (rule["rule_id"] for rule in payment_rules)
    acme.bound_device("alice")
    blocked = acme.track("alice", "payment", userAgent="curl/8", custom={"amount": 5000})
    assert (blocked["state"], blocked["rule_ids"]) == ("BLOCK", [curl])
    large = acme.track("alice", "payment", ipAddress="10.1.2.3", custom={"amount": 5000})
    assert (large["state"], large["rule_ids"]) == ("CHALLENGE_REQUIRED", [big])
    assert large["allowed_verification_methods"] == ["FACE"]
    small = acme.track("alice", "payment", ipAddress="10.1.2.3", custom={"amount": 5})
    assert (small["state"], small["rule_ids"]) == ("ALLOW", [office])
    default = acme.track("alice", "payment", ipAddress="192.0.2.1", custom={"amount": 5})
    assert default["rule_ids"] == []
    action = Action.objects.get(idempotency_key=large["idempotency_key"])
    assert action.output["ruleIds"] == [big] and action.output["source"] == "rule"


def test_a_bad_rule_is_refused_with_a_clear_error(acme):
    with pytest.raises(ApiException) as error:
        _rule(
            acme,
            "payment",
            name="bad",
            outcome="ALLOW",
            conditions=[{"type": "ip", "op": "in", "value": ["10.0.0.1/8"]}],
        )
    assert error.value.status_code == 400 and "10.0.0.0/8" in error.value.error_description


def test_a_face_rule_turns_the_push_into_a_face_check(acme_committed):
    rules_cache_clear()
    _rule(
        acme_committed,
        "payment",
        name="big",
        outcome="CHALLENGE_REQUIRED",
        verificationMethods=["FACE"],
        conditions=[{"type": "custom", "field": "amount", "op": ">", "value": 1000}],
    )
    phone = acme_committed.bound_device("alice")
    enroll = acme_committed.track("alice", "enroll", scope="add:authenticators")["token"]
    FaceDevice(phone).enroll(token=enroll, image=face_photo("dev/id01/img1.jpg"))
    push = PushDevice(phone)
    push.register(token=_fresh_token(acme_committed))
    tracked = acme_committed.track("alice", "payment", custom={"amount": 5000})
    challenge = PushChallenge.objects.get(action__idempotency_key=tracked["idempotency_key"])
    assert challenge.face_required
    pending = push.poll()
    assert pending["faceRequired"] is True and pending["token"]
    key = phone.key()
    with pytest.raises(RecognizeError) as error:
        push.client.answer_push_challenge(
            challenge_id=challenge.pk,
            public_key=key.public_key,
            signature=key.sign(challenge.pk),
            approved=True,
            verification_code=tracked.get("push_verification_code"),
        )
    assert (error.value.status, error.value.code) == (409, "face_required")
    result = push.answer(approved=True, image=face_photo("dev/id01/img2.jpg"))
    assert result["state"] == "CHALLENGE_SUCCEEDED"
    validated = acme_committed.server.validate_challenge({"token": tracked["token"]})
    assert validated["is_valid"] and validated["verification_method"] == "FACE"
    challenge.refresh_from_db()
    assert challenge.answered_at is not None and challenge.approved


def _fresh_token(acme) -> str:
    """A token to add the push credential, on an action the rules do not concern."""
    from actions.models import PushChallenge as Pending

    token = acme.track("alice", "addPush", scope="add:authenticators")["token"]
    assert not Pending.objects.exists()
    return token


def test_get_action_names_the_rules_that_decided_it(acme, payment_rules):
    """getAction's ``rules`` (@authsignal/node src/types.ts ``GetActionResponse``)."""
    big = payment_rules[1]
    tracked = acme.track("alice", "payment", custom={"amount": 5000})
    got = acme.server.get_action("alice", "payment", tracked["idempotency_key"])
    assert got["rules"] == [{"rule_id": big["rule_id"], "name": "big", "description": ""}]
    plain = acme.track("alice", "payment", custom={"amount": 5})
    assert acme.server.get_action("alice", "payment", plain["idempotency_key"])["rules"] == []
