"""Authenticators enrolled by the backend, and device listing/deletion."""

import pytest
from authsignal.client import ApiException

from devices.models import Authenticator, Device


@pytest.mark.parametrize(
    "attributes, field, value, shown",
    [
        (
            {"verificationMethod": "EMAIL_OTP", "email": "a@example.com"},
            "email",
            "a@example.com",
            "EMAIL_OTP",
        ),
        # Authsignal's spelling (authsignal-node src/types.ts VerificationMethod) and ours are
        # both taken in; Authsignal's is shown.
        (
            {"verificationMethod": "SMS", "phoneNumber": "+15551234567"},
            "phone_number",
            "+15551234567",
            "SMS",
        ),
        (
            {"verificationMethod": "SMS_OTP", "phoneNumber": "+15551234567"},
            "phone_number",
            "+15551234567",
            "SMS",
        ),
    ],
)
def test_enroll_verified_authenticator(acme, attributes, field, value, shown):
    enrolled = acme.server.enroll_verified_authenticator("alice", attributes)
    authenticator = enrolled["authenticator"]
    assert authenticator["verification_method"] == shown
    assert authenticator[field] == value
    assert authenticator["user_id"] == "alice"
    listed = acme.server.get_authenticators("alice")
    assert [a["user_authenticator_id"] for a in listed] == [authenticator["user_authenticator_id"]]
    assert acme.server.get_user("alice")["is_enrolled"] is True


def test_enrolling_the_same_address_twice_is_idempotent(acme):
    body = {"verificationMethod": "EMAIL_OTP", "email": "a@example.com"}
    first = acme.server.enroll_verified_authenticator("alice", body)
    second = acme.server.enroll_verified_authenticator("alice", body)
    assert first == second
    assert Authenticator.objects.count() == 1


@pytest.mark.parametrize(
    "attributes, code",
    [
        ({"verificationMethod": "IN_APP"}, "invalid_verification_method"),
        ({"verificationMethod": "EMAIL_OTP"}, "invalid_request"),
        ({"verificationMethod": "SMS_OTP", "phoneNumber": "letters"}, "invalid_request"),
        ({"verificationMethod": "CARRIER_PIGEON"}, "invalid_request"),
        ({"verificationMethod": "EMAIL_OTP", "email": 7, "futureField": 1}, "invalid_request"),
    ],
)
def test_enroll_bad_input_changes_nothing(acme, attributes, code):
    with pytest.raises(ApiException) as error:
        acme.server.enroll_verified_authenticator("alice", attributes)
    assert (error.value.status_code, error.value.error_code) == (400, code)
    assert not Authenticator.objects.exists()


def test_delete_authenticator(acme):
    enrolled = acme.server.enroll_verified_authenticator(
        "alice", {"verificationMethod": "EMAIL_OTP", "email": "a@example.com"}
    )
    acme.server.delete_authenticator("alice", enrolled["authenticator"]["user_authenticator_id"])
    assert acme.server.get_authenticators("alice") == []


def test_deleting_an_in_app_authenticator_unbinds_its_device(acme):
    device = acme.bound_device("alice")
    acme.server.delete_authenticator("alice", device.key().binding["userAuthenticatorId"])
    assert not Device.objects.exists()


def test_unknown_authenticator_is_404(acme):
    acme.server.update_user("alice", {"email": "a@example.com"})
    with pytest.raises(ApiException) as error:
        acme.server.delete_authenticator("alice", "00000000-0000-0000-0000-000000000000")
    assert (error.value.status_code, error.value.error_code) == (404, "authenticator_not_found")


def test_list_devices(acme):
    acme.bound_device("alice", name="phone")
    second = acme.track("alice", scope="add:authenticators")["token"]
    acme.device("laptop").bind(token=second, name="laptop")
    devices = acme.list_devices("alice")
    assert [(d["type"], d["name"]) for d in devices] == [("SDK", "phone"), ("SDK", "laptop")]
    assert all(
        d["device_id"] and d["created_at"] and len(d["user_authenticator_ids"]) == 1
        for d in devices
    )
    assert acme.list_devices("nobody") == []


def test_delete_device(acme):
    device = acme.bound_device("alice")
    device_id = device.key().binding["deviceId"]
    assert acme.delete_device("alice", device_id) == {"success": True}
    assert acme.list_devices("alice") == []
    with pytest.raises(ApiException) as error:
        acme.delete_device("alice", device_id)
    assert (error.value.status_code, error.value.error_code) == (404, "device_not_found")


def test_invalidate_device_as_php_sends_it(acme):
    """authsignal-php lib/Authsignal/Authsignal.php ``invalidateDevice``:
    ``POST /users/{userId}/devices/{deviceId}/invalidate``."""
    device = acme.bound_device("alice")
    device_id = device.key().binding["deviceId"]
    url = f"{acme.server.api_url}/users/alice/devices/{device_id}/invalidate"
    invalidated = acme.server.session.post(url).json()
    assert invalidated["deviceId"] == device_id
    assert acme.list_devices("alice") == []
    assert not Device.objects.exists()
    with pytest.raises(ApiException) as error:
        acme.server.session.post(url)
    assert (error.value.status_code, error.value.error_code) == (404, "device_not_found")
    with pytest.raises(ApiException) as error:
        acme.server.session.post(url.replace("/alice/", "/bob/"))
    assert error.value.status_code == 404
