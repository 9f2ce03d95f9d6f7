"""The signed-in portal: devices and authenticators, deleting after re-auth, TOTP setup,
recovery codes shown once, starting a recovery, recent activity."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django_otp.oath import TOTP

from accounts.models import Tenant
from actions.tokens import token_decode
from devices.factors.recovery_codes import recovery_code_use, recovery_codes_generate
from devices.factors.totp import totp_enroll, totp_secret_new
from devices.models import Authenticator, Device, RecoveryCode, TotpKey
from events.models import AuditEvent
from recognize_project.errors import ApplicationError
from tests.portal.support import PortalUser, code_in, last_mail_to


@pytest.fixture
def signed_in(acme_committed, alice):
    """Alice signed in to the portal, with one bound phone."""
    acme_committed.bound_device("alice", name="alice-phone")
    user = PortalUser(acme_committed.tenant)
    assert user.sign_in()["Location"] == "/portal/"
    return user


def _reauth_by_mail(user: PortalUser, response):
    """Follow the re-auth detour of ``response`` with the code that was e-mailed."""
    assert response.status_code == 302 and response["Location"].startswith("/portal/reauth")
    page = user.client.get(response["Location"])
    assert b"Enter the code we just sent you" in page.content
    target = parse_qs(urlparse(response["Location"]).query)["next"][0]
    code = code_in(last_mail_to(user.email))
    return user.client.post("/portal/reauth", {"code": code, "next": target})


def test_home_lists_devices_authenticators_and_activity(signed_in):
    page = signed_in.home().content.decode()
    assert "alice-phone" in page and "Phone app" in page
    assert "App on a phone (device key)" in page and "E-mail code" in page
    assert "You signed in here with a code sent by e-mail to a•••@example.com" in page


def test_activity_reads_in_words_with_failures_marked(signed_in, alice, acme_committed):
    """Portal issue item 5: about half the rows were raw event codes."""
    from devices.factors.totp import totp_verify

    device = Device.objects.get(user=alice, name="alice-phone")
    with pytest.raises(ApplicationError):
        recovery_code_use(user=alice, code="AAAA-AAAA-AAAA-AAAA")  # no codes: not an attempt
    recovery_codes_generate(user=alice)
    with pytest.raises(ApplicationError):
        recovery_code_use(user=alice, code="AAAA-AAAA-AAAA-AAAA")
    with pytest.raises(ApplicationError):
        totp_verify(user=alice, code="123456")  # no app set up: not an attempt either
    page = signed_in.home().content.decode()
    assert f"New device added: {device.name}" in page
    assert "New way to verify: the app on your phone" in page
    assert (
        '<li class="failure"><span><strong>A failed attempt with a recovery code: the code was '
        "wrong</strong>" in page
    )
    for raw in ("authentication.failed", "device.bound", "action.updated", "portal.signed_in"):
        assert raw not in page
    assert 'datetime="' in page and "data-local" in page  # shown in the reader's time zone


def test_deleting_a_device_needs_a_fresh_reauth(signed_in, acme_committed, alice):
    device = Device.objects.get(user=alice, name="alice-phone")
    url = f"/portal/devices/{device.pk}/delete"
    detour = signed_in.client.get(url)
    back = _reauth_by_mail(signed_in, detour)
    assert back["Location"] == url
    assert b"Delete the device" in signed_in.client.get(url).content
    assert signed_in.client.post(url)["Location"] == "/portal/"
    assert not Device.objects.filter(pk=device.pk).exists()
    listed = acme_committed.server.session.get(
        f"{acme_committed.server.api_url}/users/alice/devices"
    ).decamelized_content
    assert listed == []
    assert AuditEvent.objects.filter(user=alice, event_type="device.deleted").exists()


def test_a_wrong_reauth_code_changes_nothing(signed_in, alice):
    device = Device.objects.get(user=alice)
    url = f"/portal/devices/{device.pk}/delete"
    detour = signed_in.client.get(url)
    signed_in.client.get(detour["Location"])
    code = code_in(last_mail_to(alice.email))
    wrong = "000000" if code != "000000" else "111111"
    response = signed_in.client.post("/portal/reauth", {"code": wrong, "next": url})
    assert response.status_code == 400 and b"attempt(s) left" in response.content
    assert signed_in.client.post(url)["Location"].startswith("/portal/reauth")
    assert Device.objects.filter(pk=device.pk).exists()


def test_the_reauth_next_page_stays_inside_the_portal(signed_in, alice):
    signed_in.client.get("/portal/reauth")
    code = code_in(last_mail_to(alice.email))
    response = signed_in.client.post(
        "/portal/reauth", {"code": code, "next": "https://evil.example/portal/"}
    )
    assert response["Location"] == "/portal/"


def test_another_users_device_cannot_be_deleted(signed_in, acme_committed, globex):
    acme_committed.bound_device("bob", name="bob-phone")
    globex.bound_device("alice", name="globex-alice")
    others = Device.objects.exclude(user__external_id="alice", user__tenant__name="acme")
    signed_in.client.get("/portal/reauth")
    code = code_in(last_mail_to("alice@example.com"))
    signed_in.client.post("/portal/reauth", {"code": code, "next": "/portal/"})
    assert others.count() == 2
    for device in others:
        signed_in.client.post(f"/portal/devices/{device.pk}/delete")
    assert others.count() == 2


def test_deleting_an_authenticator_after_reauth(signed_in, alice):
    email = Authenticator.objects.get(user=alice, verification_method="EMAIL_OTP")
    url = f"/portal/authenticators/{email.pk}/delete"
    _reauth_by_mail(signed_in, signed_in.client.get(url))
    assert signed_in.client.post(url)["Location"] == "/portal/"
    assert not Authenticator.objects.filter(pk=email.pk).exists()


def _secret_on(page) -> bytes:
    import base64

    key = re.search(rb'data-test="totp-secret">([A-Z2-7 ]+)<', page.content).group(1)
    key = key.replace(b" ", b"")
    return base64.b32decode(key + b"=" * (-len(key) % 8))


def test_totp_setup_shows_a_qr_code_and_needs_a_right_code(signed_in, alice):
    page = signed_in.client.get("/portal/totp")
    assert b"<svg" in page.content and b'data-test="totp-qr"' in page.content
    secret = _secret_on(page)
    assert signed_in.client.get("/portal/totp").content.count(b"<svg") == 1
    assert _secret_on(signed_in.client.get("/portal/totp")) == secret  # same pending secret
    wrong = signed_in.client.post("/portal/totp", {"code": "12345x"})
    assert wrong.status_code == 400 and not TotpKey.objects.exists()
    response = signed_in.client.post("/portal/totp", {"code": f"{TOTP(secret).token():06d}"})
    assert response["Location"] == "/portal/"
    key = TotpKey.objects.get(authenticator__user=alice)
    assert secret not in bytes(key.sealed_secret)
    assert AuditEvent.objects.filter(user=alice, event_type="totp.enrolled").exists()
    replacing = signed_in.client.get("/portal/totp")
    assert replacing["Location"].startswith("/portal/reauth")  # replacing needs a re-auth


def test_recovery_codes_are_shown_once(signed_in, alice):
    page = signed_in.client.post("/portal/recovery-codes")
    codes = re.findall(rb"<li><code>([A-Z2-7-]+)</code></li>", page.content)
    assert len(codes) == 10 and page["Cache-Control"] == "no-store"
    again = signed_in.client.get("/portal/recovery-codes")
    assert codes[0] not in again.content and b"10 unused codes" in again.content
    assert signed_in.client.post("/portal/recovery-codes")["Location"].startswith("/portal/reauth")


def test_starting_a_recovery_shows_a_qr_code_for_the_new_phone(signed_in, alice):
    page = signed_in.client.post("/portal/recover")
    assert page.status_code == 200 and b'data-test="recovery-qr"' in page.content
    link = re.search(rb'data-test="recovery-link">([^<]+)<', page.content).group(1).decode()
    token = parse_qs(urlparse(link.replace("&amp;", "&")).fragment)["token"][0]
    claims = token_decode(token)
    assert claims.user_id == "alice" and {"add:authenticators", "recovery"} <= set(claims.scopes)
    assert AuditEvent.objects.filter(user=alice, event_type="recovery.started").exists()


def test_signed_out_visitors_see_no_account_page(db):
    from django.test import Client

    for path in ("/portal/", "/portal/totp", "/portal/recover", "/portal/recovery-codes"):
        assert Client().get(path)["Location"] == "/portal/signed-out"


def test_a_recovery_code_confirms_it_is_you_when_the_app_is_lost(signed_in, alice):
    """Portal issue item 4: re-authentication accepted only TOTP, so a user who lost the phone
    with their authenticator app could not remove it."""
    secret = totp_secret_new()
    totp_enroll(user=alice, secret=secret, code=f"{TOTP(secret).token():06d}")
    codes = recovery_codes_generate(user=alice)
    page = signed_in.client.get("/portal/reauth?next=/portal/")
    assert b"authenticator app" in page.content and b"method=RECOVERY_CODE" in page.content
    response = signed_in.client.post(
        "/portal/reauth", {"method": "RECOVERY_CODE", "code": codes[0], "next": "/portal/"}
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 1


def test_each_change_is_confirmed_in_words(signed_in, alice):
    """Portal issue items 6, 8 and 9: what happened is said; a backup's deletion warns what
    it breaks; the Delete links say what they delete."""
    device = Device.objects.get(user=alice, name="alice-phone")
    home = signed_in.home().content.decode()
    assert 'aria-label="Delete alice-phone"' in home
    url = f"/portal/devices/{device.pk}/delete"
    _reauth_by_mail(signed_in, signed_in.client.get(url))
    deleted = signed_in.client.post(url, follow=True).content.decode()
    assert "Deleted the device “alice-phone”. It can no longer be used." in deleted
    backup = Device.objects.create(tenant=alice.tenant, user=alice, type="BACKUP", name="")
    warning = signed_in.client.get(f"/portal/devices/{backup.pk}/delete").content.decode()
    assert "Without this backup you cannot set up a new phone with your face" in warning
    signed_out = signed_in.client.post("/portal/sign-out", follow=True).content.decode()
    assert "You are signed out." in signed_out


def test_signing_in_with_a_recovery_code_says_how_many_are_left(acme_committed, alice):
    Tenant.objects.filter(pk=acme_committed.tenant.pk).update(portal_sign_in="CODE_OR_APP")
    codes = recovery_codes_generate(user=alice)
    user = PortalUser(acme_committed.tenant)
    user.ask_code()
    user.enter_code(codes[0], step="RECOVERY_CODE")
    assert b"You used a recovery code; 9 left." in user.home().content
