"""The web client (``clients/web``, served at /static/recognize-web/) as a device in a real
headless Chromium: it binds a non-extractable WebCrypto key with a token the official Python
SDK's track issued, verifies an action that the tenant's backend then validates once, signs its
own push and unbind requests under server nonces, and reports a lost key as a recovery case.
"""

import pytest

pytestmark = pytest.mark.integration

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
