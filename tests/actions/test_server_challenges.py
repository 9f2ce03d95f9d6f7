"""Challenges the tenant's backend starts: ``challenge``, ``verify``, ``claimChallenge`` and
``getChallenge``, then validate.

Request shapes copied from @authsignal/node src/authsignal.ts and src/types.ts
(authsignal/authsignal-node: ``ChallengeRequest``, ``VerifyRequest``, ``ClaimChallengeRequest``,
``GetChallengeRequest``); dotnet's POST form of getChallenge from authsignal/authsignal-dotnet
src/Authsignal.cs ``GetChallenge``.
"""

import re
import threading
from datetime import timedelta

import pytest
from authsignal.client import ApiException
from django.db import connection
from django.utils import timezone

from accounts.models import EndUser
from devices import conf as devices_conf
from devices.factors.secrets import secret_hash
from devices.models import Authenticator, CodeChallenge, OneTimeCode
from tests.sms_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn

EMAIL = "alice@example.com"


def _post(acme, path: str, body: dict) -> dict:
    response = acme.server.session.post(f"{acme.server.api_url}{path}", json=body)
    return response.json()


def _refused(acme, path: str, body: dict) -> tuple[int, str]:
    with pytest.raises(ApiException) as error:
        _post(acme, path, body)
    return error.value.status_code, error.value.error_code


def _start_email(acme, **extra) -> dict:
    body = {"verificationMethod": "EMAIL_OTP", "action": "signIn", "userId": "alice"}
    return _post(acme, "/challenge", {**body, "email": EMAIL, **extra})


def _mailed_code(mailoutbox) -> str:
    return re.search(r"\b(\d{6})\b", mailoutbox[-1].subject).group(1)


@pytest.fixture
def twilio(settings):
    standin = TwilioStandIn()
    settings.RECOGNIZE_SMS_BACKEND = "twilio"
    settings.RECOGNIZE_SMS_API_URL = standin.url
    settings.RECOGNIZE_SMS_ACCOUNT_SID = ACCOUNT_SID
    settings.RECOGNIZE_SMS_AUTH_TOKEN = AUTH_TOKEN
    settings.RECOGNIZE_SMS_FROM = "+15550000000"
    yield standin
    standin.close()


def test_email_challenge_verify_claim_validate(acme_committed, mailoutbox):
    acme = acme_committed
    started = _start_email(acme, ipAddress="203.0.113.7", futureField=1)
    assert started["expiresAt"] > timezone.now().timestamp()
    assert mailoutbox[-1].to == [EMAIL]
    code = _mailed_code(mailoutbox)

    verified = _post(
        acme, "/verify", {"challengeId": started["challengeId"], "verificationCode": code}
    )
    assert verified == {
        "isVerified": True,
        "email": EMAIL,
        "phoneNumber": None,
        "verificationMethod": "EMAIL_OTP",
    }
    claimed = _post(acme, "/claim", {"challengeId": started["challengeId"], "userId": "alice"})
    assert claimed["verificationMethod"] == "EMAIL_OTP"
    validated = acme.server.validate_challenge({"token": claimed["token"]})
    assert validated["is_valid"] is True
    assert (validated["state"], validated["action"]) == ("CHALLENGE_SUCCEEDED", "signIn")
    assert validated["idempotency_key"] == started["idempotencyKey"]
    assert validated["verification_method"] == "EMAIL_OTP"
    # Single use: the code, the claim and the validation.
    again = _post(
        acme, "/verify", {"challengeId": started["challengeId"], "verificationCode": code}
    )
    assert again["isVerified"] is False
    assert _refused(acme, "/claim", {"challengeId": started["challengeId"], "userId": "alice"}) == (
        409,
        "challenge_claimed",
    )
    assert acme.server.validate_challenge({"token": claimed["token"]})["is_valid"] is False


def test_claim_before_verify_completes_when_the_code_is_verified(acme_committed, mailoutbox):
    acme = acme_committed
    started = _start_email(acme)
    claimed = _post(acme, "/claim", {"challengeId": started["challengeId"], "userId": "alice"})
    assert acme.server.validate_challenge({"token": claimed["token"]})["is_valid"] is False
    code = _mailed_code(mailoutbox)
    _post(acme, "/verify", {"challengeId": started["challengeId"], "verificationCode": code})
    assert acme.server.validate_challenge({"token": claimed["token"]})["is_valid"] is True


def _wrong(body: dict, right: str) -> dict:
    return {**body, "verificationCode": "111111" if right == "000000" else "000000"}


def test_a_challenge_dies_after_the_tenant_s_threshold_of_wrong_codes(acme_committed, mailoutbox):
    """Each challenge is an attempt source throttled first, as a portal sign-in is."""
    acme = acme_committed
    started = _start_email(acme)
    right = _mailed_code(mailoutbox)
    body = _wrong({"challengeId": started["challengeId"]}, right)
    reasons = [_post(acme, "/verify", body)["failureReason"] for _ in range(5)]
    assert reasons == ["CODE_INVALID_OR_EXPIRED"] * 5
    # The sixth answer, even the right one, is refused and counts nowhere.
    verified = _post(acme, "/verify", {**body, "verificationCode": right})
    assert (verified["isVerified"], verified["failureReason"]) == (False, "MAX_ATTEMPTS_EXCEEDED")
    authenticator = Authenticator.objects.get(verification_method="EMAIL_OTP")
    assert (authenticator.failure_count, authenticator.locked_until) == (5, None)
    # A new challenge works.
    again = _start_email(acme)
    code = _mailed_code(mailoutbox)
    ok = _post(acme, "/verify", {"challengeId": again["challengeId"], "verificationCode": code})
    assert ok["isVerified"] is True


def test_wrong_codes_count_toward_the_one_lockout(acme_committed, mailoutbox, monkeypatch):
    """Failures also count on the address's authenticator (devices.lockout): past the
    account-wide limit of a first factor it locks, whatever challenge they came through."""
    monkeypatch.setattr(devices_conf, "DEVICES_FIRST_FACTOR_LOCKOUT_THRESHOLD", 3)
    acme = acme_committed
    for _ in range(3):
        started = _start_email(acme)
        body = _wrong({"challengeId": started["challengeId"]}, _mailed_code(mailoutbox))
        _post(acme, "/verify", body)
    authenticator = Authenticator.objects.get(verification_method="EMAIL_OTP")
    assert authenticator.locked_until is not None
    # Even the right code is refused while locked, and a new challenge cannot be started.
    right = {"challengeId": started["challengeId"], "verificationCode": _mailed_code(mailoutbox)}
    assert _post(acme, "/verify", right)["failureReason"] == "MAX_ATTEMPTS_EXCEEDED"
    assert _refused(
        acme, "/challenge", {"verificationMethod": "EMAIL_OTP", "userId": "alice", "email": EMAIL}
    ) == (429, "authenticator_locked")


def test_an_expired_code_is_refused_at_use(acme_committed, mailoutbox):
    acme = acme_committed
    started = _start_email(acme)
    CodeChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    body = {"challengeId": started["challengeId"], "verificationCode": _mailed_code(mailoutbox)}
    assert _post(acme, "/verify", body)["failureReason"] == "CODE_INVALID_OR_EXPIRED"
    assert _refused(acme, "/claim", {"challengeId": started["challengeId"], "userId": "alice"}) == (
        400,
        "challenge_expired",
    )


@pytest.mark.parametrize(
    "method, sms_channel, to, sender",
    [
        ("SMS", None, "+64270000001", "+15550000000"),
        ("SMS", "WHATSAPP", "whatsapp:+64270000001", "whatsapp:+15550000000"),
        ("WHATSAPP", None, "whatsapp:+64270000001", "whatsapp:+15550000000"),
    ],
)
def test_sms_and_whatsapp_go_through_the_sms_provider(
    acme_committed, twilio, method, sms_channel, to, sender
):
    acme = acme_committed
    body = {"verificationMethod": method, "userId": "alice", "phoneNumber": "+64270000001"}
    if sms_channel:
        body["smsChannel"] = sms_channel
    started = _post(acme, "/challenge", body)
    message = twilio.messages[-1]
    assert (message["To"], message["From"]) == (to, sender)
    code = re.match(r"(\d{6}) is your acme code", message["Body"]).group(1)
    verified = _post(
        acme, "/verify", {"challengeId": started["challengeId"], "verificationCode": code}
    )
    assert verified["isVerified"] is True and verified["phoneNumber"] == "+64270000001"
    shown = _post(acme, "/challenges", {"challengeId": started["challengeId"]})
    assert shown["smsChannel"] == ("DEFAULT" if to == "+64270000001" else "WHATSAPP")


def test_get_challenge_by_id_or_by_user_action_and_method(acme_committed, mailoutbox):
    acme = acme_committed
    started = _start_email(acme)
    url = f"{acme.server.api_url}/challenges"
    by_id = acme.server.session.get(url, params={"challengeId": started["challengeId"]}).json()
    assert by_id == {
        "challengeId": started["challengeId"],
        "expiresAt": started["expiresAt"],
        "verificationMethod": "EMAIL_OTP",
        "smsChannel": None,
        "email": EMAIL,
        "phoneNumber": None,
        "action": "signIn",
    }
    params = {"userId": "alice", "action": "signIn", "verificationMethod": "EMAIL_OTP"}
    assert acme.server.session.get(url, params=params).json() == by_id
    with pytest.raises(ApiException) as error:
        acme.server.session.get(url, params={**params, "verificationMethod": "SMS"})
    assert error.value.status_code == 404


@pytest.mark.parametrize(
    "path, body, expected",
    [
        (
            "/challenge",
            {"verificationMethod": "PIGEON", "userId": "alice"},
            (400, "invalid_request"),
        ),
        ("/challenge", {"verificationMethod": "EMAIL_OTP"}, (400, "invalid_request")),
        ("/challenge", {"verificationMethod": "SMS", "userId": "alice"}, (400, "no_address")),
        (
            "/challenge",
            {"verificationMethod": "EMAIL_OTP", "userId": "a", "email": 5},
            (400, "invalid_request"),
        ),
        (
            "/verify",
            {"challengeId": "nope", "verificationCode": "123456"},
            (404, "challenge_not_found"),
        ),
        ("/verify", {"challengeId": "x"}, (400, "invalid_request")),
        (
            "/claim",
            {"challengeId": "00000000-0000-0000-0000-000000000000", "userId": "alice"},
            (404, "challenge_not_found"),
        ),
    ],
)
def test_bad_input_changes_nothing(acme, path, body, expected):
    assert _refused(acme, path, body) == expected
    assert not CodeChallenge.objects.exists()
    assert not EndUser.objects.exists()


def test_claim_for_another_user_or_tenant_is_refused(acme_committed, mailoutbox, tmp_path):
    from tests.support import TenantContext

    acme = acme_committed
    started = _start_email(acme)
    body = {"challengeId": started["challengeId"], "userId": "mallory"}
    assert _refused(acme, "/claim", body) == (403, "challenge_user_mismatch")
    other = TenantContext("other", tmp_path)
    assert _refused(other, "/claim", {**body, "userId": "alice"}) == (404, "challenge_not_found")
    assert _refused(
        other, "/verify", {"challengeId": started["challengeId"], "verificationCode": "123456"}
    ) == (404, "challenge_not_found")
    assert CodeChallenge.objects.get().claimed_at is None


@pytest.mark.integration
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_ten_concurrent_right_codes_verify_once(acme_committed):
    acme = acme_committed
    started = _start_email(acme)
    # The code is set here: with Redis the mail goes through a worker this test does not run.
    OneTimeCode.objects.update(code_hash=secret_hash("424242"))
    body = {"challengeId": started["challengeId"], "verificationCode": "424242"}
    results, barrier = [], threading.Barrier(10)

    def attempt():
        barrier.wait()
        results.append(_post(acme, "/verify", body)["isVerified"])
        connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 9 + [True]


def test_the_embedded_default_writes_sms_and_whatsapp_codes_to_private_files(
    acme_committed, capsys, settings, tmp_path
):
    """RECOGNIZE_SMS_BACKEND unset: the console provider (devices/factors/sms.py), which with
    DEBUG keeps each message in an owner-only file and never prints a code (security item 12)."""
    settings.DEBUG, settings.VAR_DIR = True, tmp_path
    acme = acme_committed
    body = {"userId": "alice", "phoneNumber": "+64270000001"}
    _post(acme, "/challenge", {**body, "verificationMethod": "SMS"})
    _post(acme, "/challenge", {**body, "verificationMethod": "WHATSAPP"})
    printed = capsys.readouterr().out
    assert not re.search(r"\d{6} is your acme code", printed)
    kept = [path.read_text() for path in sorted((tmp_path / "sms").iterdir())]
    assert any(re.search(r"^To: \+64270000001\n\n\d{6} is your acme code", m, re.M) for m in kept)
    assert any(
        re.search(r"^To: whatsapp:\+64270000001\n\n\d{6} is your acme code", m, re.M) for m in kept
    )
