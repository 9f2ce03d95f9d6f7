"""Signing in to the portal: codes, magic links, TOTP step, lockout, no user enumeration."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.factors.recovery_codes import recovery_codes_generate
from accounts.factors.totp import totp_enroll, totp_secret_new
from accounts.models import OneTimeCode, RecoveryCode
from actions.models import AuditEvent
from devices.models import Authenticator
from tests.portal.support import PortalUser, code_in, last_mail_to, link_token_in


def _text(response) -> str:
    """The visible messages of a page, without the parts that differ by address."""
    html = response.content.decode()
    return " ".join(re.findall(r'class="alert [a-z]+"[^>]*>([^<]*)<', html))


def test_sign_in_with_the_emailed_code(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    response = user.ask_code()
    assert response.status_code == 302 and response["Location"] == "/portal/code"
    message = last_mail_to("alice@example.com")
    assert "acme" in message.subject
    response = user.enter_code(code_in(message))
    assert response.status_code == 302 and response["Location"] == "/portal/"
    page = user.home()
    assert page.status_code == 200 and b"Hello, Alice" in page.content
    assert AuditEvent.objects.filter(user=alice, event_type="portal.signed_in").exists()
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    assert email.last_verified_at is not None
    assert not OneTimeCode.objects.filter(code_hash__contains=code_in(message)).exists()


def test_a_code_works_once(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    code = code_in(last_mail_to(alice.email))
    assert user.enter_code(code).status_code == 302
    other = PortalUser(acme_committed.tenant)
    other.client.post(other.sign_in_url(), {"address": alice.email})
    mail.outbox.clear()
    response = other.enter_code(code)
    assert response.status_code == 400 and b"Wrong or expired code" in response.content


def test_magic_link_signs_in_once_and_expires(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    token = link_token_in(last_mail_to(alice.email))
    browser = Client()  # the link may be opened on another device
    page = browser.get("/portal/link")
    assert page.status_code == 200 and b"data-fragment-token" in page.content
    assert browser.get("/portal/").status_code == 302  # GET alone signs nobody in
    assert browser.post("/portal/link", {"token": token})["Location"] == "/portal/"
    assert browser.get("/portal/").status_code == 200
    reused = Client().post("/portal/link", {"token": token})
    assert reused.status_code == 400 and b"already used" in reused.content
    user.client.post("/portal/code", {"step": "resend"})
    fresh = link_token_in(last_mail_to(alice.email))
    OneTimeCode.objects.filter(used_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = Client().post("/portal/link", {"token": fresh})
    assert expired.status_code == 400 and b"expired" in expired.content
    assert Client().post("/portal/link", {"token": "not-a-real-link"}).status_code == 400


def test_a_resend_supersedes_the_old_code_and_keeps_the_failures(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    first = code_in(last_mail_to(alice.email))
    for _ in range(3):
        user.enter_code("000000" if first != "000000" else "111111")
    user.client.post("/portal/code", {"step": "resend"})
    second = code_in(last_mail_to(alice.email))
    if first != second:
        assert b"Wrong or expired" in user.enter_code(first).content  # 4th failure
    else:
        user.enter_code("999999" if first != "999999" else "888888")
    response = user.enter_code("123456" if second != "123456" else "654321")  # 5th
    assert b"locked for" in response.content
    locked = user.enter_code(second)
    assert locked.status_code == 400 and b"locked" in locked.content
    assert user.home().status_code == 302
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    assert email.locked_until is not None


def test_unknown_address_looks_exactly_like_a_known_one(acme_committed, alice):
    known, unknown = PortalUser(acme_committed.tenant), PortalUser(acme_committed.tenant)
    sent_before = len(mail.outbox)
    a = known.ask_code("alice@example.com")
    b = unknown.ask_code("nobody@example.com")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    assert len(mail.outbox) == sent_before + 1  # only alice got mail
    page_a = known.client.get("/portal/code").content.decode().replace("a•••@example.com", "X")
    page_b = unknown.client.get("/portal/code").content.decode().replace("n•••@example.com", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", page_a) == strip.sub("", page_b)
    for attempt in range(6):
        wrong = "000000" if attempt % 2 else "111111"
        ra, rb = known.enter_code(wrong), unknown.enter_code(wrong)
        assert ra.status_code == rb.status_code
        assert _text(ra) == _text(rb), attempt
    ra = known.client.post("/portal/code", {"step": "resend"})
    rb = unknown.client.post("/portal/code", {"step": "resend"})
    assert _text(ra) == _text(rb)


def test_totp_is_asked_after_the_code_and_a_code_is_not_accepted_twice(acme_committed, alice):
    secret = totp_secret_new()
    totp_enroll(user=alice, secret=secret, code=f"{TOTP(secret).token():06d}")
    user = PortalUser(acme_committed.tenant)
    response = user.sign_in()
    assert response["Location"] == "/portal/second-factor"
    assert user.home().status_code == 302  # not signed in yet
    totp = TOTP(secret)
    totp.drift = 1  # the next step: the current one was spent by the enrollment
    response = user.client.post(
        "/portal/second-factor", {"step": "TOTP", "code": f"{totp.token():06d}"}
    )
    assert response["Location"] == "/portal/"
    again = PortalUser(acme_committed.tenant)
    again.sign_in()
    replay = again.client.post(
        "/portal/second-factor", {"step": "TOTP", "code": f"{totp.token():06d}"}
    )
    assert replay.status_code == 400 and b"Wrong code" in replay.content


def test_recovery_codes_sign_in_once_each(acme_committed, alice):
    codes = recovery_codes_generate(user=alice)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c.replace("-", "")) == 16 for c in codes)  # 16 base32 chars = 80 bits
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert not any(c.replace("-", "") in h for c in codes for h in stored)
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    response = user.enter_code(codes[0].lower(), step="RECOVERY_CODE")
    assert response["Location"] == "/portal/"
    other = PortalUser(acme_committed.tenant)
    other.ask_code()
    reused = other.enter_code(codes[0], step="RECOVERY_CODE")
    assert reused.status_code == 400 and b"Wrong or used recovery code" in reused.content


def test_sign_out_ends_the_session_on_the_server(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.sign_in()
    stolen = user.client.cookies["sessionid"].value
    response = user.client.post("/portal/sign-out")
    assert response["Location"] == user.sign_in_url()
    attacker = Client()
    attacker.cookies["sessionid"] = stolen
    assert attacker.get("/portal/")["Location"] == "/portal/signed-out"
    assert AuditEvent.objects.filter(user=alice, event_type="portal.signed_out").exists()


def test_session_cookie_is_secure_httponly_and_samesite(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    response = user.enter_code(code_in(last_mail_to(alice.email)))
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_forms_need_the_csrf_token(acme_committed, alice):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(f"/portal/t/{acme_committed.tenant.pk}/", {"address": alice.email})
    assert response.status_code == 403 and b"This form has expired" in response.content
    assert not OneTimeCode.objects.exists()


def test_the_session_key_changes_when_signing_in(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.client.get(user.sign_in_url())
    user.ask_code()
    before = user.client.cookies["sessionid"].value
    user.enter_code(code_in(last_mail_to(alice.email)))
    assert user.client.cookies["sessionid"].value != before


@pytest.mark.parametrize(
    "factors, address, allowed",
    [
        (["EMAIL_OTP"], "+15551230001", False),
        (["SMS_OTP"], "alice@example.com", False),
        (["SMS_OTP"], "+15551230001", True),
    ],
)
def test_the_tenant_chooses_the_first_factors(acme_committed, alice, factors, address, allowed):
    acme_committed.tenant.first_factors = factors
    acme_committed.tenant.save()
    response = PortalUser(acme_committed.tenant).ask_code(address)
    assert (response.status_code == 302) == allowed
    assert OneTimeCode.objects.exists() == allowed


def test_magic_links_stop_working_when_the_tenant_turns_them_off(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    token = link_token_in(last_mail_to(alice.email))
    acme_committed.tenant.first_factors = ["EMAIL_OTP"]
    acme_committed.tenant.save()
    assert Client().post("/portal/link", {"token": token}).status_code == 400


def test_unknown_tenant_is_a_plain_404(db):
    assert Client().get("/portal/t/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert Client().get("/portal/").status_code == 302
