"""SMS codes through the provider interface: the Twilio backend against a local stand-in
speaking Twilio's Messages API (the console backend: tests/security/test_dev_backends.py)."""

import re

import pytest
from authsignal.client import ApiException

from accounts.models import EndUser
from devices.factors.sms import SmsError, TwilioSmsBackend
from devices.models import Authenticator
from tests.portal.support import PortalUser
from tests.sms_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn


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


def test_sign_in_with_an_sms_code(acme_committed, alice, twilio):
    user = PortalUser(acme_committed.tenant)
    assert user.ask_code("+15551230001")["Location"] == "/portal/code"
    assert len(twilio.messages) == 1
    message = twilio.messages[0]
    assert message["To"] == "+15551230001" and message["From"] == "+15550000000"
    code = re.match(r"(\d{6}) is your acme code", message["Body"]).group(1)
    assert user.enter_code(code)["Location"] == "/portal/"
    sms = Authenticator.objects.get(user=alice, verification_method="SMS_OTP")
    assert sms.phone_number == "+15551230001" and sms.last_verified_at is not None


def test_the_twilio_backend_reports_provider_errors(twilio):
    backend = TwilioSmsBackend(
        api_url=twilio.url, account_sid=ACCOUNT_SID, auth_token="wrong", sender="+15550000000"
    )
    with pytest.raises(SmsError, match="401"):
        backend.send(to="+15551230001", body="hello")
    twilio.fail_with = 503
    good = TwilioSmsBackend(
        api_url=twilio.url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender="+1555"
    )
    with pytest.raises(SmsError, match="503"):
        good.send(to="+15551230001", body="hello")
    unreachable = TwilioSmsBackend(
        api_url="http://127.0.0.1:9", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender="x"
    )
    with pytest.raises(SmsError, match="unreachable"):
        unreachable.send(to="+15551230001", body="hello")
    assert twilio.messages == []


def test_a_provider_outage_does_not_break_the_sign_in_page(acme_committed, alice, twilio):
    twilio.fail_with = 500
    user = PortalUser(acme_committed.tenant)
    response = user.ask_code("+15551230001")
    assert response.status_code == 302 and response["Location"] == "/portal/code"
    twilio.fail_with = None
    user.client.post("/portal/code", {"step": "resend"})
    assert len(twilio.messages) == 1


@pytest.mark.parametrize("typed", ["+1 555 123 0001", "15551230001", "(555) 123-0001"])
def test_a_number_typed_any_usual_way_reaches_the_number_on_record(
    acme_committed, alice, twilio, typed
):
    """Portal issue item 2: the page said "we sent a code" and nothing was sent."""
    user = PortalUser(acme_committed.tenant)
    assert user.ask_code(typed)["Location"] == "/portal/code"
    assert [m["To"] for m in twilio.messages] == ["+15551230001"]


def test_a_number_that_cannot_be_one_is_refused_saying_what_to_type(acme_committed, twilio):
    response = PortalUser(acme_committed.tenant).ask_code("12")
    assert response.status_code == 400
    assert b"with its country code" in response.content
    assert b'value="12"' in response.content  # what was typed stays in the field
    assert twilio.messages == []


def test_the_api_keeps_numbers_in_e164_too_and_refuses_impossible_ones(acme):
    url = f"{acme.server.api_url}/users/bob"
    stored = acme.server.session.patch(url, json={"phoneNumber": "(555) 123-0002"})
    assert stored.decamelized_content["phone_number"] == "(555) 123-0002"  # as given
    assert EndUser.objects.get(external_id="bob").phone_number_e164 == "+15551230002"
    with pytest.raises(ApiException) as refused:
        acme.server.session.patch(url, json={"phoneNumber": "12"})
    assert "400 - Enter a phone number with its country code" in str(refused.value)
    assert EndUser.objects.get(external_id="bob").phone_number_e164 == "+15551230002"
