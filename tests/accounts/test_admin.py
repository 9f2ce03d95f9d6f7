"""The operator admin: keys shown once on creation and rotation, actions read-only."""

import re

import pytest
from django.contrib.messages import get_messages

from accounts.models import SecretKey, Tenant
from tests.support import authsignal_client

KEY = re.compile(r"rk_[A-Za-z0-9_\-]{43}")


@pytest.fixture
def operator(admin_client):
    return admin_client


def _tenant_form(**changes) -> dict:
    """The tenant admin form's fields, as a browser posts them."""
    return {
        "name": "acme",
        "token_ttl_seconds": 600,
        "lockout_threshold": 5,
        "lockout_seconds": 600,
        "liveness_level": "OFF",
        "first_factors": ["EMAIL_OTP", "EMAIL_MAGIC_LINK"],
        "allowed_origins": "",
        "passkey_user_verification": "required",
        "passkey_attestation": "none",
        "portal_sign_in": "CODE_THEN_APP",
        "phone_region": "",
        "secret_keys-TOTAL_FORMS": 0,
        "secret_keys-INITIAL_FORMS": 0,
        **changes,
    }


def _shown_keys(response) -> list[str]:
    return [k for m in get_messages(response.wsgi_request) for k in KEY.findall(str(m))]


def test_adding_a_tenant_shows_its_key_once(operator):
    response = operator.post(
        "/admin/accounts/tenant/add/", _tenant_form(name="Initech"), follow=True
    )
    keys = _shown_keys(response)
    assert len(keys) == 1
    assert authsignal_client(keys[0]).get_user("x")["is_enrolled"] is False
    page = operator.get(f"/admin/accounts/tenant/{Tenant.objects.get().pk}/change/")
    assert keys[0] not in page.content.decode()


def test_rotating_from_the_admin_revokes_old_keys(operator, acme):
    response = operator.post(
        "/admin/accounts/tenant/",
        {"action": "rotate_secret_keys", "_selected_action": [acme.tenant.pk]},
        follow=True,
    )
    (new_key,) = _shown_keys(response)
    assert authsignal_client(new_key).get_user("x")
    assert SecretKey.objects.filter(tenant=acme.tenant, revoked_at__isnull=True).count() == 1


def test_token_ttl_above_ten_minutes_is_refused(operator, acme):
    response = operator.post(
        f"/admin/accounts/tenant/{acme.tenant.pk}/change/", _tenant_form(token_ttl_seconds=3600)
    )
    assert response.status_code == 200  # the form comes back with an error
    acme.tenant.refresh_from_db()
    assert acme.tenant.token_ttl_seconds == 600


def test_actions_are_read_only_with_filters(operator, acme):
    acme.track("alice", "pay")
    listing = operator.get("/admin/actions/action/?state__exact=CHALLENGE_REQUIRED")
    assert listing.status_code == 200
    assert b"pay" in listing.content
    assert operator.get("/admin/actions/action/add/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/admin/devices/device/",
        "/admin/devices/authenticator/",
        "/admin/accounts/enduser/",
        "/admin/actions/actionconfig/",
        "/admin/accounts/secretkey/",
        "/admin/events/auditevent/",
        "/admin/accounts/tenant/add/",
    ],
)
def test_admin_pages_render(operator, acme, url):
    acme.bound_device("alice")
    assert operator.get(url).status_code == 200


def test_the_operator_chooses_the_first_factors(operator, acme):
    response = operator.post(
        f"/admin/accounts/tenant/{acme.tenant.pk}/change/",
        _tenant_form(first_factors=["EMAIL_OTP", "TOTP"]),
    )
    assert response.status_code == 302
    acme.tenant.refresh_from_db()
    assert acme.tenant.first_factors == ["EMAIL_OTP", "TOTP"]


def test_the_audit_log_is_read_only(operator, acme):
    from events.audit import audit_record
    from events.models import AuditEvent

    event = audit_record(tenant=acme.tenant, event_type="portal.signed_in")
    assert operator.get(f"/admin/events/auditevent/{event.pk}/change/").status_code == 200
    operator.post(f"/admin/events/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_webhook_endpoints_show_the_secret_once_and_deliveries_replay(operator, acme):
    from unittest import mock

    from events.models import WebhookDelivery, WebhookEndpoint

    response = operator.post(
        "/admin/events/webhookendpoint/add/",
        {"tenant": acme.tenant.pk, "url": "http://127.0.0.1:9/hooks", "enabled": "on"},
        follow=True,
    )
    shown = [str(m) for m in get_messages(response.wsgi_request) if "whsec_" in str(m)]
    assert len(shown) == 1
    endpoint = WebhookEndpoint.objects.get()
    secret = re.search(r"whsec_\S+", shown[0]).group(0)
    assert secret.encode() not in bytes(endpoint.sealed_secret)
    acme.bound_device("alice")
    delivery = WebhookDelivery.objects.filter(event_type="recognize.device.bound").get()
    with mock.patch("events.webhooks.webhook_delivery_replay") as replay:
        operator.post(
            "/admin/events/webhookdelivery/",
            {"action": "replay_deliveries", "_selected_action": [delivery.pk]},
        )
    assert replay.call_count == 1
    assert operator.get(f"/admin/events/webhookdelivery/{delivery.pk}/change/").status_code == 200


def test_key_changes_and_operator_edits_are_audited(operator, acme):
    from events.models import AuditEvent

    operator.post(
        "/admin/accounts/tenant/",
        {"action": "rotate_secret_keys", "_selected_action": [acme.tenant.pk]},
    )
    operator.post(
        f"/admin/accounts/tenant/{acme.tenant.pk}/change/", _tenant_form(lockout_threshold=3)
    )
    events = list(AuditEvent.objects.filter(tenant=acme.tenant).values_list("event_type", "detail"))
    kinds = [kind for kind, _ in events]
    assert kinds.count("secret_key.created") == 2 and "secret_key.revoked" in kinds
    changed = next(detail for kind, detail in events if kind == "admin.changed")
    assert changed["model"] == "accounts.Tenant" and changed["operator"] == "admin"
    assert not any(KEY.search(str(detail)) for _, detail in events)  # no key in the log


def test_the_operator_sets_the_allowed_origins_one_per_line(operator, acme):
    response = operator.post(
        f"/admin/accounts/tenant/{acme.tenant.pk}/change/",
        _tenant_form(allowed_origins="https://Shop.example.com/\r\n\r\nhttp://localhost:5173"),
    )
    assert response.status_code == 302
    acme.tenant.refresh_from_db()
    assert acme.tenant.allowed_origins == ["https://shop.example.com", "http://localhost:5173"]
    page = operator.get(f"/admin/accounts/tenant/{acme.tenant.pk}/change/")
    assert "https://shop.example.com\nhttp://localhost:5173" in page.content.decode()


def test_an_allowed_origin_that_is_not_an_origin_is_refused(operator, acme):
    response = operator.post(
        f"/admin/accounts/tenant/{acme.tenant.pk}/change/",
        _tenant_form(allowed_origins="https://shop.example.com/login"),
    )
    assert response.status_code == 200
    assert "is not an origin" in response.content.decode()
    acme.tenant.refresh_from_db()
    assert acme.tenant.allowed_origins == []
