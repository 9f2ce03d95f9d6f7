"""Sessions: ``createSession``, ``validateSession``, ``refreshSession``, ``revokeSession``,
``revokeUserSessions``.

Request shapes copied from @authsignal/node src/authsignal.ts and src/types.ts
(authsignal/authsignal-node: ``CreateSessionRequest``, ``ValidateSessionRequest``,
``RefreshSessionRequest``, ``RevokeSessionRequest``, ``RevokeUserSessionsRequest``).
"""

import threading
from datetime import timedelta

import jwt
import pytest
from authsignal.client import ApiException
from django.db import connection
from django.utils import timezone

from actions import conf
from actions.models import UserSession


def _post(ctx, path: str, body: dict) -> dict:
    return ctx.server.session.post(f"{ctx.server.api_url}{path}", json=body).json()


def _refused(ctx, path: str, body: dict) -> tuple[int, str]:
    with pytest.raises(ApiException) as error:
        _post(ctx, path, body)
    return error.value.status_code, error.value.error_code


@pytest.fixture
def allowed(acme):
    from actions.services import action_config_set

    action_config_set(tenant=acme.tenant, action_code="session", outcome="ALLOW")
    acme.server.update_user("alice", {"email": "alice@example.com", "emailVerified": True})
    return acme


def _session(ctx, user_id: str = "alice", client_id: str = "web") -> dict:
    token = ctx.track(user_id, "session")["token"]
    return _post(ctx, "/sessions", {"clientId": client_id, "token": token, "action": "session"})


def _validate(ctx, access_token: str, **extra) -> dict:
    return _post(ctx, "/sessions/validate", {"accessToken": access_token, **extra})


def test_create_and_validate(allowed, client):
    created = _session(allowed)
    validated = _validate(allowed, created["accessToken"], clientIds=["web", "ios"])
    assert validated["user"]["userId"] == "alice"
    assert validated["user"]["email"] == "alice@example.com"
    assert validated["user"]["emailVerified"] is True
    claims = jwt.decode(created["accessToken"], options={"verify_signature": False})
    assert validated["expiresAt"] == claims["exp"]
    # The access token verifies against the published JWKS, by its kid.
    jwks = client.get("/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(created["accessToken"])["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    verified = jwt.decode(
        created["accessToken"], key.key, algorithms=["ES256"], audience="recognize:session"
    )
    assert (verified["sub"], verified["cid"]) == ("alice", "web")


def test_a_session_needs_an_allowed_or_succeeded_action_and_spends_its_token(allowed):
    pending = allowed.track("alice", "signIn")["token"]
    assert _refused(allowed, "/sessions", {"clientId": "web", "token": pending}) == (
        403,
        "action_not_allowed",
    )
    token = allowed.track("alice", "session")["token"]
    _post(allowed, "/sessions", {"clientId": "web", "token": token})
    assert _refused(allowed, "/sessions", {"clientId": "web", "token": token}) == (
        401,
        "token_used",
    )
    body = {"clientId": "web", "token": allowed.track("alice", "session")["token"]}
    assert _refused(allowed, "/sessions", {**body, "action": "pay"}) == (400, "token_mismatch")
    assert UserSession.objects.count() == 1


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(allowed):
    first = _session(allowed)
    second = _post(allowed, "/sessions/refresh", {"refreshToken": first["refreshToken"]})
    assert second["refreshToken"] != first["refreshToken"]
    assert _validate(allowed, second["accessToken"])["user"]["userId"] == "alice"
    # The first refresh token comes back: a copy is in someone else's hands.
    assert _refused(allowed, "/sessions/refresh", {"refreshToken": first["refreshToken"]}) == (
        401,
        "refresh_token_reused",
    )
    assert _refused(allowed, "/sessions/validate", {"accessToken": second["accessToken"]}) == (
        401,
        "session_revoked",
    )
    assert _refused(allowed, "/sessions/refresh", {"refreshToken": second["refreshToken"]})[0] == (
        401
    )


def test_revoke_session_takes_effect_at_once(allowed):
    kept, revoked = _session(allowed), _session(allowed)
    _post(allowed, "/sessions/revoke", {"accessToken": revoked["accessToken"]})
    assert _refused(allowed, "/sessions/validate", {"accessToken": revoked["accessToken"]}) == (
        401,
        "session_revoked",
    )
    assert _refused(allowed, "/sessions/refresh", {"refreshToken": revoked["refreshToken"]}) == (
        401,
        "session_revoked",
    )
    assert _validate(allowed, kept["accessToken"])["user"]["userId"] == "alice"


def test_revoke_user_sessions_ends_every_session_of_that_user_only(allowed):
    alices = [_session(allowed), _session(allowed, client_id="ios")]
    bobs = _session(allowed, user_id="bob")
    _post(allowed, "/sessions/user/revoke", {"userId": "alice"})
    for created in alices:
        assert _refused(allowed, "/sessions/validate", {"accessToken": created["accessToken"]})[
            0
        ] == (401)
    assert _validate(allowed, bobs["accessToken"])["user"]["userId"] == "bob"


def test_client_ids_expiry_and_tenants_are_checked(allowed, monkeypatch, tmp_path):
    from tests.support import TenantContext

    created = _session(allowed)
    assert _refused(
        allowed, "/sessions/validate", {"accessToken": created["accessToken"], "clientIds": ["x"]}
    ) == (401, "invalid_token")
    other = TenantContext("other", tmp_path)
    assert _refused(other, "/sessions/validate", {"accessToken": created["accessToken"]}) == (
        401,
        "invalid_token",
    )
    assert _refused(other, "/sessions/refresh", {"refreshToken": created["refreshToken"]}) == (
        401,
        "invalid_token",
    )
    assert _refused(other, "/sessions/revoke", {"accessToken": created["accessToken"]}) == (
        401,
        "invalid_token",
    )
    assert _validate(allowed, created["accessToken"])["user"]["userId"] == "alice"
    monkeypatch.setattr(conf, "ACTIONS_SESSION_ACCESS_TTL_SECONDS", -5)
    expired = _session(allowed)
    assert _refused(allowed, "/sessions/validate", {"accessToken": expired["accessToken"]}) == (
        401,
        "expired_token",
    )


def test_a_session_past_its_lifetime_neither_validates_nor_refreshes(allowed):
    created = _session(allowed)
    UserSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _refused(allowed, "/sessions/validate", {"accessToken": created["accessToken"]}) == (
        401,
        "session_revoked",
    )
    assert _refused(allowed, "/sessions/refresh", {"refreshToken": created["refreshToken"]}) == (
        401,
        "session_revoked",
    )


@pytest.mark.parametrize(
    "path, body, expected",
    [
        ("/sessions", {"clientId": "web", "token": "garbage"}, (400, "invalid_token")),
        ("/sessions", {"token": "garbage"}, (400, "invalid_request")),
        ("/sessions/validate", {"accessToken": "a.b.c"}, (401, "invalid_token")),
        ("/sessions/validate", {"accessToken": ["x"]}, (400, "invalid_request")),
        ("/sessions/refresh", {"refreshToken": "rt_nothing"}, (401, "invalid_token")),
        ("/sessions/refresh", {}, (400, "invalid_request")),
        ("/sessions/revoke", {"accessToken": "x"}, (401, "invalid_token")),
        ("/sessions/user/revoke", {"userId": "a" * 256}, (400, "invalid_request")),
    ],
)
def test_bad_input_changes_nothing(allowed, path, body, expected):
    assert _refused(allowed, path, body) == expected
    assert not UserSession.objects.exists()


@pytest.mark.integration
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_ten_concurrent_refreshes_exactly_one_wins(acme_committed):
    from actions.services import action_config_set

    acme = acme_committed
    action_config_set(tenant=acme.tenant, action_code="session", outcome="ALLOW")
    created = _session(acme)
    results, barrier = [], threading.Barrier(10)

    def attempt():
        barrier.wait()
        try:
            _post(acme, "/sessions/refresh", {"refreshToken": created["refreshToken"]})
            results.append("won")
        except ApiException as error:
            results.append(error.error_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("won") == 1
    assert set(results) - {"won"} == {"refresh_token_reused"}
    assert UserSession.objects.get().revoked_reason == "refresh_token_reused"
