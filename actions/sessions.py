"""Sessions made from a successful action: ``createSession``, ``validateSession``,
``refreshSession``, ``revokeSession``, ``revokeUserSessions`` of Authsignal's server SDKs.

An access token is an ES256 JWT signed by the token-signing key (``kid`` in
``/.well-known/jwks.json``), audience ``recognize:session``, naming its session (``sid``), user,
tenant and client id, valid ``ACTIONS_SESSION_ACCESS_TTL_SECONDS``. The server still reads the
session row on every validation, so revoking takes effect at once. A refresh token is 256
random bits (only its SHA-256 is stored), used once: refreshing spends it by one conditional
UPDATE and issues a new pair. A refresh token used a second time means it was copied: the whole
session (every token of the family) is revoked. Under a race the same holds: one caller gets
the new pair, and the others' reuse revokes the session.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import conf, selectors
from actions.models import SUCCEEDED_STATES, ActionState, RefreshToken, UserSession
from actions.tokens import jws_claims, jws_sign, token_consume, token_decode
from recognize_project.errors import ApplicationError

AUDIENCE = "recognize:session"
REFRESH_TOKEN_PREFIX = "rt_"
#: Action states a session may be created from.
SESSION_STATES = frozenset({ActionState.ALLOW, *SUCCEEDED_STATES})


@dataclass(frozen=True)
class SessionTokens:
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class ValidSession:
    session: UserSession
    user: EndUser
    expires_at: int


def _invalid(message: str = "The access token is not valid.") -> ApplicationError:
    return ApplicationError("invalid_token", message, status=401)


def _refresh_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _tokens(session: UserSession) -> SessionTokens:
    """A new access token and a new refresh token of ``session`` (the caller is atomic)."""
    now = timezone.now()
    expires = min(
        now + timedelta(seconds=conf.ACTIONS_SESSION_ACCESS_TTL_SECONDS), session.expires_at
    )
    access = jws_sign(
        {
            "iss": settings.RECOGNIZE_PUBLIC_URL,
            "aud": AUDIENCE,
            "sub": session.user.external_id,
            "tid": str(session.tenant_id),
            "sid": str(session.pk),
            "cid": session.client_id,
            "jti": secrets.token_urlsafe(16),
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
    )
    refresh = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    RefreshToken.objects.create(token_hash=_refresh_hash(refresh), session=session)
    return SessionTokens(access, refresh)


def session_create(
    *, tenant: Tenant, token: str, client_id: str, action_code: str | None = None
) -> SessionTokens:
    """A session for the user of the action token ``token``, spent here (once).

    The action must have been allowed or succeeded (a device-bound success only while its
    device exists) and, when ``action_code`` is given, be of that code.
    """
    claims = token_decode(token, status=400)
    if claims.tenant_id != str(tenant.pk):
        raise ApplicationError("invalid_token", "The token is not valid.")
    if action_code is not None and action_code != claims.action_code:
        raise ApplicationError("token_mismatch", "The token was issued for another action.")
    action = selectors.action_get(tenant=tenant, idempotency_key=claims.idempotency_key)
    if action is None:
        raise ApplicationError("invalid_token", "The token's action no longer exists.")
    if action.state not in SESSION_STATES or (
        action.device_bound and action.verified_device_id is None
    ):
        raise ApplicationError(
            "action_not_allowed",
            f"A session needs an allowed or succeeded action; this one is {action.state}.",
            status=403,
        )
    with transaction.atomic():
        token_consume(jti=claims.jti, expires_at=claims.expires_at)
        session = UserSession.objects.create(
            tenant=tenant,
            user=action.user,
            client_id=client_id,
            action=action,
            verification_method=action.verification_method,
            expires_at=timezone.now() + timedelta(seconds=conf.ACTIONS_SESSION_MAX_SECONDS),
        )
        return _tokens(session)


def _access_claims(tenant: Tenant, access_token: str, *, check_expiry: bool) -> dict:
    claims = jws_claims(access_token)
    if not (
        claims is not None
        and claims.get("aud") == AUDIENCE
        and claims.get("tid") == str(tenant.pk)
        and isinstance(claims.get("sid"), str)
        and type(claims.get("exp")) is int
    ):
        raise _invalid()
    if check_expiry and claims["exp"] <= timezone.now().timestamp():
        raise ApplicationError("expired_token", "The access token has expired.", status=401)
    return claims


def _session(claims: dict) -> UserSession:
    try:
        pk = uuid.UUID(claims["sid"])
    except ValueError:
        raise _invalid() from None
    session = UserSession.objects.select_related("user").filter(pk=pk).first()
    if session is None:
        raise _invalid()
    return session


def session_validate(
    *, tenant: Tenant, access_token: str, client_ids: list[str] | None = None
) -> ValidSession:
    """The session of ``access_token`` if the token is unexpired and its session neither
    revoked nor over (and, when ``client_ids`` are given, made for one of them)."""
    claims = _access_claims(tenant, access_token, check_expiry=True)
    session = _session(claims)
    if session.revoked_at is not None or session.expires_at <= timezone.now():
        raise ApplicationError("session_revoked", "The session was revoked or ended.", status=401)
    if client_ids and session.client_id not in client_ids:
        raise _invalid("The access token was issued for another client.")
    return ValidSession(session, session.user, claims["exp"])


def session_refresh(*, tenant: Tenant, refresh_token: str) -> SessionTokens:
    """Spend ``refresh_token`` and return a new pair; a second use revokes the session."""
    if not isinstance(refresh_token, str) or not refresh_token.startswith(REFRESH_TOKEN_PREFIX):
        raise _invalid("The refresh token is not valid.")
    token_hash = _refresh_hash(refresh_token)
    now = timezone.now()
    with transaction.atomic():
        row = RefreshToken.objects.select_related("session__user").filter(pk=token_hash).first()
        if row is None or row.session.tenant_id != tenant.pk:
            raise _invalid("The refresh token is not valid.")
        session = row.session
        spent = RefreshToken.objects.filter(pk=token_hash, used_at__isnull=True).update(used_at=now)
        if spent and session.revoked_at is None and session.expires_at > now:
            return _tokens(session)
    if not spent:  # a used token came back: revoke the whole family
        _revoke(UserSession.objects.filter(pk=session.pk), reason="refresh_token_reused")
        raise ApplicationError(
            "refresh_token_reused",
            "The refresh token was already used; the session is revoked.",
            status=401,
        )
    raise ApplicationError("session_revoked", "The session was revoked or ended.", status=401)


def _revoke(sessions, *, reason: str) -> int:
    return sessions.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def session_revoke(*, tenant: Tenant, access_token: str) -> None:
    """Revoke the session of ``access_token`` (expired tokens too: they still name it)."""
    claims = _access_claims(tenant, access_token, check_expiry=False)
    session = _session(claims)
    _revoke(UserSession.objects.filter(pk=session.pk), reason="revoked")


def user_sessions_revoke(*, tenant: Tenant, user_id: str) -> int:
    """Revoke every session of the user ``user_id``; how many were active."""
    sessions = UserSession.objects.filter(tenant=tenant, user__external_id=user_id)
    return _revoke(sessions, reason="user_revoked")
