"""The user portal in a real headless Chromium (Debian's ``chromium``, driven by Playwright):
sign in by magic link, list devices, delete one after re-authenticating, set up TOTP and start
a recovery. Every e-mail comes from the real worker process through the local SMTP server.

Screenshots of each step, on a desktop and a phone screen, are kept as test artifacts in
``var/test-artifacts/screenshots/``.
"""

import base64
import re
import uuid
from urllib.parse import quote

import pytest
from django_otp.oath import TOTP

from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"Your code: (\d{6})")
LINK = re.compile(r"(http\S+/portal/link#token=\S+)")


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"portal-{name}.png", full_page=True)


def _mail_body(mailbox, address: str, says: str) -> str:
    """The text of the e-mail to ``address`` that says ``says``, once it arrived."""
    message = mailbox.wait_for(
        lambda m: m["To"] == address and says in m.get_body(("plain",)).get_content()
    )
    return message.get_body(("plain",)).get_content()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _device_names(page) -> list[str]:
    return page.locator("[data-test=devices] li strong").all_inner_texts()


def test_sign_in_manage_devices_set_up_totp_and_start_a_recovery(
    live, live_server, smtp_server, browser
):
    _, mailbox = smtp_server
    address = f"alice-{uuid.uuid4().hex[:8]}@example.com"
    live.server.update_user("alice", {"email": address, "displayName": "Alice"})
    live.bound_device("alice", "Old phone")
    live.bound_device("alice", "Tablet")

    desktop = browser.new_context(viewport=DESKTOP)
    page = desktop.new_page()
    page.goto(f"{live_server.url}/portal/t/{live.tenant_id}/")
    _screenshot(page, "01-sign-in")
    page.fill("input[name=address]", address)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/portal/code")
    _screenshot(page, "02-check-your-mail")

    link = LINK.search(_mail_body(mailbox, address, "You asked to sign in")).group(1)
    assert link.startswith(f"{live_server.url}/portal/link#token=")
    page.goto(link)
    _screenshot(page, "03-magic-link")
    page.click("[data-test=use-link]")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "Hello, Alice" in page.inner_text("h1")
    session = next(c for c in desktop.cookies() if c["name"] == "sessionid")
    assert (session["secure"], session["httpOnly"], session["sameSite"]) == (True, True, "Lax")
    assert sorted(_device_names(page)) == ["Old phone", "Tablet"]
    _screenshot(page, "04-home-desktop")

    phone = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, storage_state=desktop.storage_state()
    )
    on_phone = phone.new_page()
    on_phone.goto(f"{live_server.url}/portal/")
    assert sorted(_device_names(on_phone)) == ["Old phone", "Tablet"]
    assert _fits_the_screen(on_phone)
    _screenshot(on_phone, "05-home-phone")
    phone.close()

    old_phone = page.locator("[data-test=devices] li", has_text="Old phone")
    old_phone.locator("[data-test=delete-device]").click()
    page.wait_for_url("**/portal/reauth?next=*")
    _screenshot(page, "06-reauth")
    code = CODE.search(_mail_body(mailbox, address, "confirm a change")).group(1)
    page.fill("#code", code)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/portal/devices/*/delete")
    assert "Old phone" in page.inner_text("h1")
    _screenshot(page, "07-confirm-delete")
    page.click("[data-test=confirm-delete]")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert _device_names(page) == ["Tablet"]
    assert [device["name"] for device in live.list_devices("alice")] == ["Tablet"]

    page.click("[data-test=setup-totp]")
    page.wait_for_url("**/portal/totp")
    assert page.locator("[data-test=totp-qr] svg").is_visible()
    _screenshot(page, "08-totp")
    secret = page.inner_text("[data-test=totp-secret]").replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#code", f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "Authenticator app" in page.inner_text("[data-test=authenticators]")
    assert page.inner_text("[data-test=setup-totp]") == "Replace authenticator app"

    page.click("[data-test=new-phone]")
    page.wait_for_url("**/portal/recover")
    _screenshot(page, "09-new-phone")
    page.click("[data-test=start-recovery]")
    qr = page.locator("[data-test=recovery-qr] svg")
    qr.wait_for(state="visible")
    assert qr.bounding_box()["width"] >= 200
    deep_link = page.inner_text("[data-test=recovery-link]")
    assert deep_link.startswith(f"recognize://recover#server={quote(live_server.url, safe='')}")
    _screenshot(page, "10-recovery-qr-desktop")
    page.set_viewport_size(PHONE)
    assert qr.is_visible() and _fits_the_screen(page)
    _screenshot(page, "11-recovery-qr-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Done").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    activity = page.inner_text("[data-test=activity]")
    for event in (
        "You signed in here with",
        "Device removed:",
        "You set up an authenticator app",
        "You started setting up a new phone",
    ):
        assert event in activity
    _screenshot(page, "12-home-after")
    page.click("[data-test=sign-out]")
    page.wait_for_url(f"**/portal/t/{live.tenant_id}/")
    page.goto(f"{live_server.url}/portal/")
    assert page.url == f"{live_server.url}/portal/signed-out"
    desktop.close()
