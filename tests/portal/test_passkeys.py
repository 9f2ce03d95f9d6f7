"""Passkeys in the portal: a signed-in user adds one, then signing in asks for it after the
e-mail code. Answers come from a software authenticator speaking the real formats
(tests/webauthn_soft.py), as static/portal.js would send them from the portal's own origin."""

import json

import pytest
from django.conf import settings

from devices.models import Authenticator, PasskeyCredential
from events.models import AuditEvent
from tests.portal.support import PortalUser, code_in, last_mail_to
from tests.webauthn_soft import SoftAuthenticator


def _post(user: PortalUser, path: str, body: dict | None = None):
    return user.client.post(path, json.dumps(body or {}), content_type="application/json")


def _add_passkey(user: PortalUser, passkey: SoftAuthenticator):
    options = _post(user, "/portal/passkeys/options").json()["options"]
    return _post(user, "/portal/passkeys", {"credential": passkey.create(options)})


@pytest.fixture
def with_passkey(alice):
    """Alice signed in once and added a passkey, then signed out."""
    user = PortalUser(alice.tenant)
    user.sign_in()
    passkey = SoftAuthenticator(origin=settings.RECOGNIZE_PUBLIC_URL)
    added = _add_passkey(user, passkey)
    assert added.status_code == 200, added.json()
    user.client.post("/portal/sign-out")
    return alice, passkey


def _second_step(alice) -> PortalUser:
    user = PortalUser(alice.tenant)
    user.ask_code()
    response = user.enter_code(code_in(last_mail_to(user.email)))
    assert response.status_code == 302
    assert response["Location"] == "/portal/second-factor"
    return user


def _answer(user: PortalUser, passkey: SoftAuthenticator, **how):
    options = _post(user, "/portal/second-factor/passkey/options").json()["options"]
    return _post(user, "/portal/second-factor/passkey", {"credential": passkey.get(options, **how)})


def test_a_passkey_added_in_the_portal_is_asked_for_at_sign_in(with_passkey):
    alice, passkey = with_passkey
    assert PasskeyCredential.objects.get().rp_id == "127.0.0.1"
    user = _second_step(alice)
    page = user.client.get("/portal/second-factor").content.decode()
    assert "Use your passkey" in page
    assert 'name="code" inputmode="numeric"' not in page  # no authenticator app set up
    assert user.home().status_code == 302  # not signed in yet
    response = _answer(user, passkey)
    assert response.status_code == 200, response.json()
    assert response.json() == {"next": "/portal/"}
    home = user.home()
    assert home.status_code == 200
    assert "Passkey" in home.content.decode()
    assert AuditEvent.objects.filter(
        event_type="portal.signed_in", detail__factors="e-mail or SMS + passkey"
    ).exists()


def test_a_challenge_answers_once(with_passkey):
    alice, passkey = with_passkey
    user = _second_step(alice)
    options = _post(user, "/portal/second-factor/passkey/options").json()["options"]
    bad = _post(
        user, "/portal/second-factor/passkey", {"credential": passkey.get(options, tamper=True)}
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_credential")
    again = _post(user, "/portal/second-factor/passkey", {"credential": passkey.get(options)})
    assert again.json()["error"] == "invalid_challenge"
    assert user.home().status_code == 302
    assert Authenticator.objects.get(verification_method="PASSKEY").failure_count == 0


def test_a_passkey_that_skips_user_verification_counts_as_a_failure(with_passkey):
    alice, passkey = with_passkey
    user = _second_step(alice)
    response = _answer(user, passkey, user_verified=False)
    assert response.json()["error"] == "user_not_verified"
    assert Authenticator.objects.get(verification_method="PASSKEY").failure_count == 1


def test_a_passkey_made_for_the_tenants_site_is_not_a_portal_factor(with_passkey):
    """Browsers bind a passkey to its RP id: one made on the tenant's site (browser SDK) cannot
    answer on the portal's origin, so it neither asks nor answers here."""
    alice, passkey = with_passkey
    PasskeyCredential.objects.update(rp_id="shop.example.com")
    user = PortalUser(alice.tenant)
    user.ask_code()
    response = user.enter_code(code_in(last_mail_to(user.email)))
    assert response["Location"] == "/portal/"


def test_no_passkey_endpoint_works_before_the_code(alice):
    user = PortalUser(alice.tenant)
    assert _post(user, "/portal/second-factor/passkey/options").status_code == 400
    assert _post(user, "/portal/passkeys/options").status_code == 302  # to signed-out
