"""Security item 6: the admin's sign-in is throttled like every other factor, operators'
passwords are validated, and staff sign in with a second factor when RECOGNIZE_ADMIN_2FA is on."""

import secrets
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db):
    """A superuser with a name of its own: lockout state lives in the cache, across tests."""
    name = f"ops-{secrets.token_hex(4)}"
    return get_user_model().objects.create_superuser(name, "ops@example.com", PASSWORD)


@pytest.fixture
def browser():
    """A browser at an address of its own (the per-address limit counts across tests)."""

    def make() -> Client:
        return Client(REMOTE_ADDR=f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.9")

    return make


def _login(client: Client, username: str, password: str, **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password} | extra
    )


def test_item06_five_wrong_passwords_lock_the_admin_sign_in(staff, browser):
    client = browser()
    for _ in range(5):
        assert _login(client, staff.username, "wrong password").status_code == 200
    other = browser()
    refused = _login(other, staff.username, PASSWORD)  # even the right one, from anywhere
    assert refused.status_code == 200 and b"Too many failed sign-ins" in refused.content
    assert other.get("/admin/").status_code == 302


def test_item06_a_success_resets_the_count(staff, browser):
    client = browser()
    for _ in range(4):
        _login(client, staff.username, "wrong password")
    assert _login(client, staff.username, PASSWORD)["Location"] == "/admin/"
    client = browser()
    for _ in range(4):
        _login(client, staff.username, "wrong password")
    assert _login(client, staff.username, PASSWORD)["Location"] == "/admin/"


def test_item06_one_address_cannot_spray_many_user_names(db):
    client = Client()
    refused = [_login(client, f"user{n}", "x") for n in range(12)]
    assert any(b"from your network" in r.content for r in refused)


def test_item06_operator_passwords_are_validated():
    for weak in ("password1234", "12345678901234", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password(PASSWORD)


def test_item06_with_two_factor_staff_need_a_code_from_their_app(staff, browser, settings, capsys):
    settings.RECOGNIZE_ADMIN_2FA = True
    client = browser()
    assert _login(client, staff.username, PASSWORD).status_code == 200  # no device: refused
    assert client.get("/admin/").status_code == 302
    call_command("admin_totp_add", staff.username)
    assert "otpauth://totp/" in capsys.readouterr().out
    device = TOTPDevice.objects.get(user=staff)
    wrong = _login(
        client, staff.username, PASSWORD, otp_device=device.persistent_id, otp_token="000000"
    )
    assert wrong.status_code == 200
    # django-otp's own throttle delays the device's next check by a second after a failure.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    code = f"{TOTP(device.bin_key).token():06d}"
    signed_in = _login(
        client, staff.username, PASSWORD, otp_device=device.persistent_id, otp_token=code
    )
    assert signed_in["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_item06_without_two_factor_a_password_signs_in(staff, browser):
    client = browser()
    assert _login(client, staff.username, PASSWORD)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
