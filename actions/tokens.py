"""Action tokens: short-lived ES256 JWTs naming tenant, user, action and idempotency key.

Tenants can check them offline against ``/.well-known/jwks.json``; the server still decides
validity from the action row, so a token is never more powerful than its action's state.
"""

import secrets
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
    return jwt.encode(
        claims,
        keys.token_signing_key(),
        algorithm="ES256",
        headers={"kid": keys.token_signing_jwk()["kid"]},
    )


def token_decode(token: str, *, status: int = 401) -> ActionToken:
    """Verify signature, audience and expiry; raise ``ApplicationError`` with ``status``."""
    if not isinstance(token, str) or len(token) > 4096:
        raise ApplicationError("invalid_token", "The token is not valid.", status=status)
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
    return ActionToken(
        jti=claims["jti"],
        tenant_id=claims["tid"],
        user_id=claims["sub"],
        action_code=claims["act"],
        idempotency_key=claims["idk"],
        scopes=frozenset(claims.get("scope", "").split()),
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )
