"""“Use this browser as a device”: the page needs a fresh re-authentication, loads its script
from a static file (no inline script), and the grant it asks for binds one device, once."""

import re

import pytest

from actions.models import Action, ActionState
from actions.tokens import token_decode
from devices.models import Device
from recognize_sdk.client import RecognizeError
from tests.portal.support import PortalUser, code_in, last_mail_to

PAGE = "/portal/this-browser"
GRANT = "/portal/this-browser/grant"


@pytest.fixture
def signed_in(acme_committed, alice):
    """Alice signed in to the portal, with one bound phone."""
    acme_committed.bound_device("alice", name="alice-phone")
    user = PortalUser(acme_committed.tenant)
    assert user.sign_in()["Location"] == "/portal/"
    return user


def _reauth(user: PortalUser) -> None:
    user.client.get("/portal/reauth")
    code = code_in(last_mail_to(user.email))
    assert user.client.post("/portal/reauth", {"code": code, "next": PAGE})["Location"] == PAGE


def test_the_page_needs_a_fresh_reauth_and_has_no_inline_script(signed_in, alice):
    assert signed_in.client.get(PAGE)["Location"].startswith("/portal/reauth?next=")
    _reauth(signed_in)
    page = signed_in.client.get(PAGE)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    phone = Device.objects.get(user=alice, name="alice-phone")
    assert f'data-device-ids="{phone.pk}"' in html
    assert f'data-tenant-id="{alice.tenant.pk}"' in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert '<script type="module" src="/static/portal-web-device.js">' in scripts
    assert all("src=" in tag for tag in scripts)


def test_the_home_page_offers_it(signed_in):
    html = signed_in.home().content.decode()
    assert 'href="/portal/this-browser"' in html
    assert '<script type="module" src="/static/portal-web-device.js">' in html


def test_a_grant_needs_a_fresh_reauth(signed_in):
    refused = signed_in.client.post(GRANT)
    assert refused.status_code == 403
    assert refused.json()["error"] == "reauth_required"
    assert not Action.objects.filter(action_code="portal:addDevice").exists()


def test_a_grant_binds_one_device_once(signed_in, acme_committed, alice):
    _reauth(signed_in)
    response = signed_in.client.post(GRANT)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = response.json()["token"]
    claims = token_decode(token)
    assert (claims.user_id, claims.scopes) == ("alice", frozenset({"add:authenticators"}))
    action = Action.objects.get(idempotency_key=claims.idempotency_key)
    assert (action.action_code, action.state) == ("portal:addDevice", ActionState.ALLOW)

    browser = acme_committed.device("browser")
    assert browser.bind(token=token, name="Laptop", platform="web")["userId"] == "alice"
    with pytest.raises(RecognizeError) as refused:
        acme_committed.device("another").bind(token=token)
    assert refused.value.code == "token_used"
    assert Device.objects.filter(user=alice, name="Laptop", platform="web").count() == 1
    assert "Web browser" in signed_in.home().content.decode()


def test_signed_out_visitors_get_no_grant(db):
    response = PortalUser(tenant=None).client.post(GRANT)
    assert response["Location"] == "/portal/signed-out"
