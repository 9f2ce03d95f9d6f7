"""The in-app flow's hot path: a few statements per request, and what it remembers between
requests (tokens, tenant settings) never outlives expiry or the documented staleness."""

import base64
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import Tenant
from actions import verify_at_once
from actions.models import Action, Challenge
from devices.models import Authenticator
from recognize_sdk import RecognizeError

#: Statements each request of the flow may send (transaction control not counted). Verify's
#: fourth is the audit row every authentication attempt gets (issue 5), in the same commit; on
#: PostgreSQL an ordinary verification is one statement (actions.verify_at_once).
BUDGET = {"track": 3, "challenge": 1, "verify": 4, "validate": 2}
BUDGET_POSTGRESQL = {**BUDGET, "verify": 1}


def _statements(captured: CaptureQueriesContext) -> list[str]:
    control = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]


def test_each_request_of_the_flow_stays_within_its_statement_budget(acme):
    device = acme.bound_device("alice")
    device.verify(token=acme.track("alice")["token"])  # first use of every path
    client, key = acme.device_client(), device.key()
    sent = {}
    with CaptureQueriesContext(connection) as sent["track"]:
        token = acme.track("alice")["token"]
    with CaptureQueriesContext(connection) as sent["challenge"]:
        challenge_id = client.challenge(token=token)["challengeId"]
    with CaptureQueriesContext(connection) as sent["verify"]:
        verified = client.verify_in_app(
            challenge_id=challenge_id,
            public_key=key.public_key,
            signature=key.sign(challenge_id),
            token=token,
        )
    with CaptureQueriesContext(connection) as sent["validate"]:
        assert acme.server.validate_challenge({"token": verified["token"]})["is_valid"] is True
    counts = {name: len(_statements(captured)) for name, captured in sent.items()}
    assert counts == (BUDGET_POSTGRESQL if connection.vendor == "postgresql" else BUDGET)


def test_a_remembered_token_is_refused_once_it_expires(acme, monkeypatch):
    token = acme.track("alice", scope="add:authenticators")["token"]  # issued, so remembered
    acme.device_client().challenge(token=token)
    later = timezone.now() + timedelta(seconds=601)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(RecognizeError) as error:
        acme.device_client().challenge(token=token)
    assert (error.value.status, error.value.code) == (401, "expired_token")


def _issued_ttl(device, acme) -> int:
    """The lifetime of the token a verification (a token-authenticated request) issues."""
    token = device.verify(token=acme.track("alice")["token"])["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims["exp"] - claims["iat"]


def test_tenant_settings_reach_token_requests_within_the_cache_lifetime(acme, monkeypatch):
    device = acme.bound_device("alice")
    assert _issued_ttl(device, acme) == 600
    Tenant.objects.filter(pk=acme.tenant.pk).update(token_ttl_seconds=60)
    assert _issued_ttl(device, acme) == 600  # still cached
    clock = account_selectors.time.monotonic
    later = clock() + account_selectors.TENANT_CACHE_SECONDS + 1
    monkeypatch.setattr(account_selectors, "time", SimpleNamespace(monotonic=lambda: later))
    assert _issued_ttl(device, acme) == 60


def test_a_cached_tenant_is_a_fresh_instance_each_time(acme):
    first = account_selectors.tenant_get_cached(tenant_id=acme.tenant_id)
    first.lockout_threshold = 99
    assert account_selectors.tenant_get_cached(tenant_id=acme.tenant_id).lockout_threshold == 5


def _times() -> tuple:
    authenticator = Authenticator.objects.select_related("device").get()
    return authenticator.last_verified_at, authenticator.device.last_used_at


def test_last_use_times_are_written_at_most_once_per_granularity(acme, monkeypatch):
    device = acme.bound_device("alice")
    device.verify(token=acme.track("alice")["token"])
    first = _times()
    assert None not in first
    device.verify(token=acme.track("alice")["token"])
    assert _times() == first  # within the granularity: neither row written again
    later = timezone.now() + verify_at_once.LAST_USE_GRANULARITY
    monkeypatch.setattr(timezone, "now", lambda: later)
    device.verify(token=acme.track("alice")["token"])
    assert _times() == (later, later)


def test_a_challenge_made_for_one_action_cannot_complete_another(acme):
    device = acme.bound_device("alice")
    first, second = acme.track("alice")["token"], acme.track("alice")["token"]
    challenge_id = acme.device_client().challenge(token=first)["challengeId"]
    key = device.key()
    with pytest.raises(RecognizeError) as error:
        acme.device_client().verify_in_app(
            challenge_id=challenge_id,
            public_key=key.public_key,
            signature=key.sign(challenge_id),
            token=second,
        )
    assert (error.value.status, error.value.code) == (403, "token_mismatch")
    assert not Action.objects.filter(state="CHALLENGE_SUCCEEDED").exists()
    assert not Challenge.objects.filter(used_at__isnull=False).exists()  # rolled back


def test_only_the_track_and_challenge_inserts_may_commit_asynchronously(acme_committed):
    """Losing those in a database crash makes a token or challenge unknown; spending one
    (verify, validate) must survive a crash, so it commits synchronously."""
    acme = acme_committed
    device = acme.bound_device("alice")
    device.verify(token=acme.track("alice")["token"])
    key = device.key()
    with CaptureQueriesContext(connection) as captured:
        token = acme.track("alice")["token"]
        challenge_id = acme.device_client().challenge(token=token)["challengeId"]
        verified = acme.device_client().verify_in_app(
            challenge_id=challenge_id,
            public_key=key.public_key,
            signature=key.sign(challenge_id),
            token=token,
        )
        acme.server.validate_challenge({"token": verified["token"]})
    relaxed = [" ".join(sql.split()[:3]) for sql in _statements(captured) if "set_config" in sql]
    if connection.vendor == "postgresql":
        assert relaxed == ['INSERT INTO "actions_action"', "INSERT INTO actions_challenge"]
    else:  # SQLite: synchronous=NORMAL relaxes every commit alike
        assert relaxed == []
    with connection.cursor() as cursor:  # and nothing else on the connection is relaxed
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


def test_machine_made_fields_must_be_ascii(acme):
    device = acme.bound_device("alice")
    token = acme.track("alice")["token"]
    challenge_id = acme.device_client().challenge(token=token)["challengeId"]
    with pytest.raises(RecognizeError) as error:
        acme.device_client().verify_in_app(
            challenge_id=challenge_id,
            public_key=device.key().public_key,
            signature="é" + device.key().sign(challenge_id),
            token=token,
        )
    assert (error.value.status, error.value.code) == (400, "invalid_request")
