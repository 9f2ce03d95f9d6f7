"""Signing in to the portal: codes, magic links, TOTP step, lockout, no user enumeration."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.models import Tenant
from devices.factors.recovery_codes import recovery_codes_generate
from devices.factors.totp import totp_enroll, totp_secret_new
from devices.models import Authenticator, OneTimeCode, RecoveryCode
from events.models import AuditEvent
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
    assert response.status_code == 400 and b"Wrong or used code" in response.content


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


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_resend_supersedes_the_old_code(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    first = code_in(last_mail_to(alice.email))
    user.client.post("/portal/code", {"step": "resend"})
    second = code_in(last_mail_to(alice.email))
    if first != second:
        assert b"Wrong or used" in user.enter_code(first).content
    assert user.enter_code(second)["Location"] == "/portal/"


def test_item02_wrong_answers_spend_the_sign_in_not_the_account(acme_committed, alice):
    """Security item 2: five wrong codes end this sign-in's code; the account stays usable."""
    attacker = PortalUser(acme_committed.tenant)
    attacker.ask_code()
    code = code_in(last_mail_to(alice.email))
    for left in (4, 3, 2, 1):
        response = attacker.enter_code(_wrong(code))
        assert f"{left} more attempt(s)".encode() in response.content
    assert b"Ask for a new code" in attacker.enter_code(_wrong(code)).content
    assert b"Ask for a new code" in attacker.enter_code(code).content  # even the right one
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    assert (email.failure_count, email.locked_until) == (5, None)
    victim = PortalUser(acme_committed.tenant)
    assert victim.sign_in()["Location"] == "/portal/"


def test_item02_starting_a_sign_in_never_cancels_another_ones_code(acme_committed, alice):
    victim = PortalUser(acme_committed.tenant)
    victim.ask_code()
    code = code_in(last_mail_to(alice.email))
    attacker = PortalUser(acme_committed.tenant)
    attacker.ask_code()
    attacker.client.post("/portal/code", {"step": "resend"})
    assert victim.enter_code(code)["Location"] == "/portal/"


def test_item02_one_client_address_is_throttled_before_any_account(acme_committed, alice):
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    code = code_in(last_mail_to(alice.email))
    answers = [user.enter_code(_wrong(code)) for _ in range(11)]  # and the sign-in request
    refused = [r for r in answers if b"Too many attempts from your network" in r.content]
    assert len(refused) == 2 and all(r.status_code == 400 for r in refused)
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    assert email.locked_until is None


def test_item02_an_account_locks_only_at_100_failures_and_only_that_factor(acme_committed, alice):
    secret = totp_secret_new()
    totp_enroll(user=alice, secret=secret, code=f"{TOTP(secret).token():06d}")
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    code = code_in(last_mail_to(alice.email))
    Authenticator.objects.filter(user=alice, verification_method="EMAIL_OTP").update(
        failure_count=99
    )
    assert b"locked until" in user.enter_code(_wrong(code)).content
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    assert email.locked_until is not None
    totp = Authenticator.objects.get(user=alice, verification_method="TOTP")
    assert (totp.failure_count, totp.locked_until) == (0, None)


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


def test_item07_the_authenticator_app_alone_does_not_sign_in_by_default(acme_committed, alice):
    """Security item 7: a code from the app (or a recovery code) is the second step, never the
    only one, unless the tenant chose CODE_OR_APP."""
    secret = totp_secret_new()
    totp_enroll(user=alice, secret=secret, code=f"{TOTP(secret).token():06d}")
    codes = recovery_codes_generate(user=alice)
    totp = TOTP(secret)
    totp.drift = 1
    user = PortalUser(acme_committed.tenant)
    page = user.ask_code()
    assert b"authenticator app instead" not in user.client.get("/portal/code").content
    for step, code in (("TOTP", f"{totp.token():06d}"), ("RECOVERY_CODE", codes[0])):
        response = user.enter_code(code, step=step)
        assert response.status_code == 400 and b"Choose one of the ways offered" in response.content
    assert user.home().status_code == 302  # still not signed in
    assert page.status_code == 302
    Tenant.objects.filter(pk=acme_committed.tenant.pk).update(portal_sign_in="CODE_OR_APP")
    assert b"authenticator app instead" in user.client.get("/portal/code").content
    assert user.enter_code(f"{totp.token():06d}", step="TOTP")["Location"] == "/portal/"


def test_recovery_codes_sign_in_once_each(acme_committed, alice):
    Tenant.objects.filter(pk=acme_committed.tenant.pk).update(portal_sign_in="CODE_OR_APP")
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


def test_item03_a_sign_in_request_does_the_same_work_for_known_and_unknown_addresses(
    acme_committed, alice
):
    """Security item 3: the request itself runs the same statements either way; the code is
    sent by a task queued for both, which in the embedded default runs only after the
    response went out (recognize_project.notifications.notify_after_response)."""
    from django.core.signals import request_finished
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recognize_project import notifications

    def request_statements(address: str) -> tuple[int, int]:
        request_finished.disconnect(dispatch_uid="recognize-after-response")
        try:
            sent_before = len(mail.outbox)
            with CaptureQueriesContext(connection) as queries:
                response = PortalUser(acme_committed.tenant).ask_code(address)
            assert response.status_code == 302
            return len(queries), len(mail.outbox) - sent_before
        finally:
            request_finished.connect(
                notifications.run_after_response, dispatch_uid="recognize-after-response"
            )

    request_statements("someone@example.com")  # warms the tenant cache
    known, sent_known = request_statements("alice@example.com")
    unknown, sent_unknown = request_statements("nobody@example.com")
    assert known == unknown
    assert sent_known == sent_unknown == 0  # nothing sent inside the request
    PortalUser(acme_committed.tenant).ask_code("alice@example.com")
    assert code_in(last_mail_to("alice@example.com"))  # sent once the response was closed


def test_the_front_door_leads_to_a_sign_in(db, acme):
    """Portal issue item 1: "/" (where e-mails and pages used to point) was a 404."""
    one = Client().get("/")
    assert one.status_code == 302 and one["Location"] == f"/portal/t/{acme.tenant.pk}/"
    Tenant.objects.create(name="globex")
    several = Client().get("/")
    assert several.status_code == 200
    assert b"acme" in several.content and b"globex" in several.content
    signed_out = Client().get("/portal/signed-out")
    assert b'href="/"' in signed_out.content and b"Sign in" in signed_out.content


def test_the_new_device_mail_links_to_the_tenants_sign_in(acme_committed, alice):
    acme_committed.bound_device("alice")
    message = last_mail_to(alice.email)
    link = re.search(r"http\S+", message.body).group(0)
    path = link[link.index("/portal/") :]
    assert path == f"/portal/t/{acme_committed.tenant.pk}/"
    assert Client().get(path).status_code == 200


def test_an_expired_code_is_told_apart_from_a_wrong_one_and_not_counted(acme_committed, alice):
    """Portal issue item 7: an expired code counted as a failure, reported as "wrong or
    expired"."""
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    code = code_in(last_mail_to(alice.email))
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = user.enter_code(code)
    assert response.status_code == 400 and b"This code has expired" in response.content
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    assert email.failure_count == 0
    wrong = user.enter_code(_wrong(code))
    assert b"Wrong or used code" in wrong.content
