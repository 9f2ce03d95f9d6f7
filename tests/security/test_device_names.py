"""Item 14 of the security audit: a device name cannot inject into the security e-mail.

A client names its device; the name is shown to the user in the portal and in the e-mail
that tells them a device was added. Control characters, line breaks, bidi overrides and
zero-width characters are removed at input, the length is capped, and the HTML part of the
e-mail escapes what is left.
"""

import pytest

from devices.models import Device

SHOWN_MAX = 64  # recognize_project.fields.DEVICE_NAME_MAX

HOSTILE = (
    "<a href='https://evil.example'>Pixel</a>\r\nBcc: victim@example.com\r\n\r\n"
    "\u202e\u200b\x1b[31mYour account is locked" + "x" * 500
)


@pytest.fixture
def alice_with_email(acme_committed):
    acme_committed.server.update_user("alice", {"email": "alice@example.com"})
    return acme_committed


def _bind(context, name: str, platform: str = "python"):
    token = context.track("alice", "enroll", scope="add:authenticators")["token"]
    context.device("phone").bind(token=token, name=name, platform=platform)
    return Device.objects.get(user__external_id="alice", type="SDK")


def test_item14_device_name_is_cleaned_and_capped_at_input(alice_with_email):
    device = _bind(alice_with_email, HOSTILE, platform="ios\r\nX-Injected: 1")
    assert len(device.name) <= SHOWN_MAX
    assert device.name.isprintable()
    assert device.name == "<a href='https://evil.example'>Pixel</a> Bcc: victim@example.com"
    assert device.platform == "ios X-Injected: 1"


def test_item14_security_email_has_no_injected_lines_or_markup(alice_with_email, mailoutbox):
    device = _bind(alice_with_email, HOSTILE)
    (message,) = mailoutbox
    headers = message.message()
    assert "Bcc" not in headers and "X-Injected" not in headers and message.bcc == []
    device_lines = [line for line in message.body.splitlines() if "Pixel" in line]
    assert device_lines == [f"  Device:   {device.name} (python)"]
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert "<a href='https://evil.example'>" not in html
    assert "&lt;a href=" in html


def test_item14_ordinary_names_are_kept(alice_with_email):
    assert _bind(alice_with_email, "Alice’s iPhone 15 — Pro").name == "Alice’s iPhone 15 — Pro"


def test_item14_user_names_shown_in_the_e_mail_are_cleaned_too(alice_with_email, mailoutbox):
    alice_with_email.server.update_user(
        "alice", {"displayName": "Alice\r\n\r\nYour account is locked: call +1 555 0100\u202e"}
    )
    _bind(alice_with_email, "Phone")
    (message,) = mailoutbox
    assert message.body.splitlines()[0] == "Hello Alice Your account is locked: call +1 555 0100,"
    tracked = alice_with_email.track("bob", username="bob\x1b[2J\nroot")
    assert tracked["state"]
    assert alice_with_email.server.get_user("bob")["username"] == "bob[2J root"
