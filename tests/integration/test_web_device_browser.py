"""The web client (``clients/web``, served at /static/recognize-web/) as a device in a real
headless Chromium: it binds a non-extractable WebCrypto key with a token the official Python
SDK's track issued, verifies an action that the tenant's backend then validates once, signs its
own push and unbind requests under server nonces, and reports a lost key as a recovery case.
A signed-in portal user makes this browser one of their devices ("use this browser as a
device") and sees it marked in the device list.
"""

import re
import uuid

import pytest

from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
CODE = re.compile(r"Your code: (\d{6})")
LINK = re.compile(r"(http\S+/portal/link#token=\S+)")

#: Loads the package into the page, as an app's own module would import it.
IMPORT = "const web = await import('/static/recognize-web/index.js');"


def _run(page, body: str, **args):
    """Run ``body`` (an async function body with ``web`` and ``args`` in scope) in ``page``."""
    return page.evaluate(f"async (args) => {{ {IMPORT} {body} }}", args)


def _device(live) -> str:
    return f"new web.WebDevice({{baseUrl: {live.base_url!r}, tenantId: {live.tenant_id!r}}})"


def _open(browser, live):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.base_url}/portal/signed-out")
    return context, page


def test_a_browser_binds_verifies_and_unbinds(live, browser):
    context, page = _open(browser, live)
    enroll = live.server.track("alice", "enroll", {"scope": "add:authenticators"})
    bound = _run(
        page,
        f"return await {_device(live)}.bind({{token: args.token, name: 'Chromium'}});",
        token=enroll["token"],
    )
    assert bound["userId"] == "alice"
    devices = live.list_devices("alice")
    assert [(d["name"], d["platform"]) for d in devices] == [("Chromium", "web")]

    stored = _run(
        page,
        f"""const device = {_device(live)};
        const key = await device.key();
        let exported = true;
        try {{ await crypto.subtle.exportKey('pkcs8', key.privateKey); }}
        catch {{ exported = false; }}
        return {{extractable: key.privateKey.extractable, exported,
                 type: key.privateKey.constructor.name, publicKey: key.publicKey}};""",
    )
    assert stored["extractable"] is False and stored["exported"] is False
    assert stored["type"] == "CryptoKey"

    tracked = live.server.track("alice", "signIn")
    assert tracked["state"] == "CHALLENGE_REQUIRED"
    verified = _run(
        page, f"return await {_device(live)}.verify({{token: args.token}});", token=tracked["token"]
    )
    assert verified["state"] == "CHALLENGE_SUCCEEDED"
    assert live.server.validate_challenge({"token": verified["token"]})["is_valid"] is True
    assert live.server.validate_challenge({"token": verified["token"]})["is_valid"] is False

    # The device-signed requests: each under its own nonce, over its canonical fields.
    push = live.server.track("alice", "enroll", {"scope": "add:authenticators"})
    pushed = _run(
        page,
        f"""const device = {_device(live)};
        const added = await device.pushRegister({{token: args.token}});
        const pending = await device.pushPoll();
        const updated = await device.pushUpdateRegistration({{channel: 'POLL'}});
        const removed = await device.pushRemove();
        return {{added, pending, updated, removed}};""",
        token=push["token"],
    )
    assert pushed["added"]["userId"] == "alice"
    assert pushed["pending"]["challengeId"] is None
    assert pushed["updated"] == {"channel": "POLL", "enabled": True}

    removed = _run(
        page,
        f"""const device = {_device(live)};
        const result = await device.remove();
        return {{result, status: await device.status()}};""",
    )
    assert removed["result"]["removedAuthenticatorId"]
    assert removed["status"]["hasKey"] is False
    assert live.list_devices("alice") == []
    context.close()


LOST = """try {{ await {device}.verify({{token: args.token}}); return null; }}
catch (error) {{ return {{lost: error instanceof web.DeviceKeyLostError,
                          name: error.name, reason: error.reason}}; }}"""


def test_a_lost_key_is_a_recovery_case(live, browser):
    context, page = _open(browser, live)
    enroll = live.server.track("bob", "enroll", {"scope": "add:authenticators"})
    _run(page, f"await {_device(live)}.bind({{token: args.token}});", token=enroll["token"])

    # The user deletes the device elsewhere: the key is still here, the server forgot it.
    live.delete_device("bob", live.list_devices("bob")[0]["device_id"])
    revoked = _run(
        page, LOST.format(device=_device(live)), token=live.server.track("bob", "signIn")["token"]
    )
    assert revoked == {"lost": True, "name": "DeviceKeyLostError", "reason": "revoked"}

    # The user clears the site's data: nothing is stored any more.
    context.clear_cookies()
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            const request = indexedDB.deleteDatabase('recognize-web');
            request.onsuccess = resolve; request.onerror = reject; })"""
    )
    missing = _run(
        page, LOST.format(device=_device(live)), token=live.server.track("bob", "signIn")["token"]
    )
    assert missing == {"lost": True, "name": "DeviceKeyLostError", "reason": "missing"}
    context.close()


def _mail_body(mailbox, address: str, says: str) -> str:
    """The plain-text part of the e-mail to ``address`` that says ``says``."""
    message = mailbox.wait_for(
        lambda m: m["To"] == address and says in m.get_body(("plain",)).get_content()
    )
    return message.get_body(("plain",)).get_content()


def test_a_portal_user_uses_this_browser_as_a_device(live, smtp_server, browser):
    _, mailbox = smtp_server
    address = f"carol-{uuid.uuid4().hex[:8]}@example.com"
    live.server.update_user("carol", {"email": address, "displayName": "Carol"})
    live.bound_device("carol", "Phone")

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.base_url}/portal/t/{live.tenant_id}/")
    page.fill("input[name=address]", address)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/portal/code")
    page.goto(LINK.search(_mail_body(mailbox, address, "You asked to sign in")).group(1))
    page.click("[data-test=use-link]")
    page.wait_for_url(f"{live.base_url}/portal/")

    page.click("[data-test=use-this-browser]")
    page.wait_for_url("**/portal/reauth?next=*")
    page.fill("#code", CODE.search(_mail_body(mailbox, address, "confirm a change")).group(1))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/portal/this-browser")
    page.locator("[data-test=web-device-form]").wait_for(state="visible")
    _screenshot(page, "01-this-browser")
    page.fill("#device-name", "Carol's Chromium")
    page.click("[data-test=web-device-bind]")
    page.wait_for_url(f"{live.base_url}/portal/")

    this_browser = page.locator("[data-test=devices] li", has_text="Carol's Chromium")
    this_browser.locator("[data-test=this-browser]").wait_for(state="visible")
    assert page.locator("[data-test=devices] [data-test=this-browser]").count() == 1
    assert page.locator("[data-test=use-this-browser]").is_hidden()
    assert "Web browser" in this_browser.inner_text()
    _screenshot(page, "02-home-this-browser")
    listed = {d["name"]: d["platform"] for d in live.list_devices("carol")}
    assert listed == {"Phone": "python", "Carol's Chromium": "web"}

    # The key the portal bound answers a sign-in the tenant's backend then validates.
    tracked = live.server.track("carol", "signIn")
    verified = _run(
        page, f"return await {_device(live)}.verify({{token: args.token}});", token=tracked["token"]
    )
    assert live.server.validate_challenge({"token": verified["token"]})["is_valid"] is True

    page.goto(f"{live.base_url}/portal/this-browser")
    status = page.locator("[data-test=web-device-status]")
    status.wait_for(state="visible")
    assert status.inner_text() == "This browser is already one of your devices."
    assert page.locator("[data-test=web-device-form]").is_hidden()
    context.close()


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"web-device-{name}.png", full_page=True)
