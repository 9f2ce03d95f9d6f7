"""SMS codes through the provider interface: the Twilio backend against a local stand-in
speaking Twilio's Messages API (the console backend: tests/security/test_dev_backends.py)."""

import re

import pytest

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
