"""The portal's passkeys in a real headless Chromium with its virtual authenticator (CDP
``WebAuthn.addVirtualAuthenticator``): alice adds a passkey on the home page, signs out, and
the next sign-in asks for it after the e-mail code (static/portal.js does the ceremonies).

Runs on Django's live server (SQLite in the fast half); mail is read from Django's outbox.
"""

import os
import re

import pytest
from django.core import mail

from tests.sdk_clients.conftest import missing

CHROMIUM = os.environ.get("RECOGNIZE_CHROMIUM", "/usr/bin/chromium")
CODE = re.compile(r"Your code: (\d{6})")


@pytest.fixture
def portal(live_server, transactional_db, settings):
    """Alice of a tenant, on a live server that knows its own address (the passkeys' RP)."""
    from accounts.models import EndUser
    from accounts.services import tenant_create

    if not live_server.url.startswith("http://localhost:"):
        pytest.skip("passkeys need the portal on localhost (an IP is no RP id)")
    settings.RECOGNIZE_PUBLIC_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    tenant, _ = tenant_create(name="acme")
    EndUser.objects.create(tenant=tenant, external_id="alice", email="alice@example.com")
    return f"{live_server.url}/portal/t/{tenant.pk}/"


@pytest.fixture
def page(portal):
    """A page of a headless Chromium with a virtual platform authenticator; launched after the
    setup's database writes (Django refuses ORM calls here while Playwright runs)."""
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing (scripts/chromium.sh installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                        "automaticPresenceSimulation": True,
                    }
                },
            )
            yield page
        finally:
            browser.close()


def _sign_in_with_code(page, portal: str) -> None:
    page.goto(portal)
    page.fill("#address", "alice@example.com")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/portal/code")
    code = CODE.search(mail.outbox[-1].body).group(1)
    page.fill("#code", code)
    page.get_by_role("button", name="Sign in").first.click()


def test_add_a_passkey_then_sign_in_with_it(portal, page):
    _sign_in_with_code(page, portal)
    page.wait_for_url("**/portal/")
    page.click("[data-test=add-passkey]")
    page.wait_for_selector("[data-test=authenticators] li:has-text('Passkey')")
    page.click("[data-test=sign-out]")
    page.wait_for_url(portal)

    _sign_in_with_code(page, portal)
    page.wait_for_url("**/portal/second-factor")
    page.click("[data-test=use-passkey]")
    page.wait_for_url("**/portal/")
    assert "Passkey" in page.inner_text("[data-test=authenticators]")
