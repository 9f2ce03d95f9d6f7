"""Passkey challenges are single use under concurrency: ten threads send the same assertion,
exactly one completes the action (PostgreSQL, real HTTP to a live server).

Request shapes as in tests/actions/test_passkeys.py (``@authsignal/browser`` 1.16.0
dist/index.js ``PasskeyApiClient``).
"""

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from accounts.models import Tenant
from events.models import AuditEvent
from tests.webauthn_soft import SoftAuthenticator

pytestmark = pytest.mark.integration

SITE = "https://shop.example.com"
THREADS = 10


def _post(live, path: str, body: dict, token: str | None = None) -> requests.Response:
    auth = (
        f"Bearer {token}"
        if token
        else "Basic " + base64.b64encode(live.tenant_id.encode()).decode()
    )
    return requests.post(
        f"{live.base_url}/v1/client{path}",
        json=body,
        headers={"Authorization": auth, "Origin": SITE},
        timeout=30,
    )


def test_ten_threads_send_the_same_passkey_assertion_exactly_one_wins(live):
    Tenant.objects.filter(pk=live.tenant.pk).update(allowed_origins=[SITE])
    passkey = SoftAuthenticator(origin=SITE)
    token = live.server.track("alice", "enroll")["token"]
    options = _post(live, "/user-authenticators/passkey/registration-options", {}, token).json()
    added = _post(
        live,
        "/user-authenticators/passkey",
        {
            "registrationCredential": passkey.create(options["options"]),
            "challengeId": options["challengeId"],
        },
        token,
    )
    assert added.status_code == 200, added.json()

    token = live.server.track("alice", "pay")["token"]
    options = _post(live, "/user-authenticators/passkey/authentication-options", {}, token).json()
    body = {
        "authenticationCredential": passkey.get(options["options"]),
        "challengeId": options["challengeId"],
    }
    with ThreadPoolExecutor(THREADS) as pool:
        responses = list(
            pool.map(lambda _: _post(live, "/verify/passkey", body, token), range(THREADS))
        )

    assert [r.status_code for r in responses].count(200) == 1
    assert {r.json()["errorCode"] for r in responses if r.status_code != 200} == {"challenge_used"}
    winner = next(r for r in responses if r.status_code == 200).json()
    assert live.server.validate_challenge({"token": winner["accessToken"]})["is_valid"] is True
    completed = AuditEvent.objects.filter(event_type="action.updated")
    assert completed.count() == 2  # the enrollment's action, then this one, once
