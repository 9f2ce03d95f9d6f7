"""Action tokens: short-lived ES256 JWTs naming tenant, user, action and idempotency key.

Tenants can check them offline against ``/.well-known/jwks.json``; the server still decides
validity from the action row, so a token is never more powerful than its action's state.

Each process remembers the tokens it issued or verified lately: the same token usually comes
back (the challenge and the verify request of a flow carry the one track issued; validate gets
the one verify issued), and checking it again would repeat PyJWT's parsing and the ECDSA
verification, 0.3 ms. Its signature cannot have changed; expiry is checked on every use.
"""

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.utils import timezone

from actions.models import Action
from recognize_project import keys
from recognize_project.errors import ApplicationError

AUDIENCE = "recognize:action"
MAX_TTL_SECONDS = 600
KNOWN_TOKENS_MAX = 2048  # a few seconds of traffic: tokens come back within a flow


@dataclass(frozen=True)
class ActionToken:
    """The verified claims of an action token."""

    jti: str
    tenant_id: str
    user_id: str
    action_code: str
    idempotency_key: str
    scopes: frozenset[str]
    expires_at: datetime


_known_tokens: dict[str, ActionToken] = {}  # oldest first
_known_tokens_lock = threading.Lock()


def _remember(token: str, claims: ActionToken) -> None:
    with _known_tokens_lock:
        _known_tokens[token] = claims
        if len(_known_tokens) > KNOWN_TOKENS_MAX:
            del _known_tokens[next(iter(_known_tokens))]


def _action_token(claims: dict) -> ActionToken:
    return ActionToken(
        jti=claims["jti"],
        tenant_id=claims["tid"],
        user_id=claims["sub"],
        action_code=claims["act"],
        idempotency_key=claims["idk"],
        scopes=frozenset(claims.get("scope", "").split()),
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )


def token_issue(*, action: Action, scopes: frozenset[str] | set[str] = frozenset()) -> str:
    """Sign a token for ``action`` valid for the tenant's TTL (never more than 10 minutes)."""
    now = timezone.now()
    ttl = min(action.tenant.token_ttl_seconds, MAX_TTL_SECONDS)
    claims = {
        "iss": settings.RECOGNIZE_PUBLIC_URL,
        "aud": AUDIENCE,
        "sub": action.user.external_id,
        "tid": str(action.tenant_id),
        "act": action.action_code,
        "idk": str(action.idempotency_key),
        "scope": " ".join(sorted(scopes)),
        "jti": secrets.token_urlsafe(16),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    token = jwt.encode(
        claims,
        keys.token_signing_key(),
        algorithm="ES256",
        headers={"kid": keys.token_signing_jwk()["kid"]},
    )
    _remember(token, _action_token(claims))
    return token


def token_decode(token: str, *, status: int = 401) -> ActionToken:
    """Verify signature, audience and expiry; raise ``ApplicationError`` with ``status``."""
    if not isinstance(token, str) or len(token) > 4096:
        raise ApplicationError("invalid_token", "The token is not valid.", status=status)
    known = _known_tokens.get(token)
    if known is None:
        known = _verified(token, status=status)
        _remember(token, known)
    elif known.expires_at <= timezone.now():
        raise ApplicationError("expired_token", "The token has expired.", status=status)
    return known


def _verified(token: str, *, status: int) -> ActionToken:
    """The claims of ``token`` after PyJWT checked signature, audience, expiry and presence."""
    try:
        claims = jwt.decode(
            token,
            keys.token_signing_key().public_key(),
            algorithms=["ES256"],
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "sub", "tid", "act", "idk", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise ApplicationError("expired_token", "The token has expired.", status=status) from None
    except jwt.InvalidTokenError:
        raise ApplicationError("invalid_token", "The token is not valid.", status=status) from None
    return _action_token(claims)
