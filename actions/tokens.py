"""Action tokens: short-lived ES256 JWTs naming tenant, user, action and idempotency key.

Tenants can check them offline against ``/.well-known/jwks.json``; the server still decides
validity from the action row, so a token is never more powerful than its action's state.

Tokens are signed and checked here with ``cryptography`` directly (JWS compact form, RFC 7515;
ES256 as RFC 7518 §3.4 defines it): they have one fixed shape, and PyJWT's generic handling of
headers, claims and options cost more than the ECDSA itself (0.08 of 0.18 ms to check one,
0.05 of 0.08 ms to sign one). A token is accepted only with ``alg`` ES256, a 64-byte signature
by the token-signing key over exactly the first two parts, our audience, an integer ``exp`` in
the future, an ``iat`` not in the future and every claim present as a string.

Each process also remembers the tokens it issued or verified lately: the same token usually
comes back (the challenge and the verify request of a flow carry the one track issued;
validate gets the one verify issued), and its signature cannot have changed. Expiry is
checked on every use.

Work that a token allows once (enrolling, restoring a backup) spends it here
(``token_consume``): its id goes into ``ConsumedToken``, whose primary key makes the second
spend fail however many try at once.
"""

import base64
import binascii
import functools
import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import selectors
from actions.models import Action, ConsumedToken
from recognize_project import keys
from recognize_project.errors import ApplicationError

AUDIENCE = "recognize:action"
MAX_TTL_SECONDS = 600
KNOWN_TOKENS_MAX = 2048  # a few seconds of traffic: tokens come back within a flow
_REQUIRED_CLAIMS = ("sub", "tid", "act", "idk", "jti")  # strings; exp and iat are integers
_ES256 = ec.ECDSA(hashes.SHA256())
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


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


def action_open_until(action: Action) -> datetime:
    """Until when ``action`` may be completed: the lifetime of the token track issued for it.

    Checked at use on every path that completes an action (``actions.outcomes``), so a
    challenge issued just before the token expired completes nothing after it.
    """
    ttl = min(action.tenant.token_ttl_seconds, MAX_TTL_SECONDS)
    return action.created_at + timedelta(seconds=ttl)


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
    token = _signed(claims)
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


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: anything outside its alphabet is an error."""
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.cache
def _header() -> str:
    """The encoded JOSE header of every token (``kid`` names the key in the JWKS)."""
    header = {"alg": "ES256", "kid": keys.token_signing_jwk()["kid"], "typ": "JWT"}
    return _b64url(json.dumps(header, separators=(",", ":")).encode())


@functools.cache
def _verifying_key() -> ec.EllipticCurvePublicKey:
    return keys.token_signing_key().public_key()


def _signed(claims: dict) -> str:
    """``claims`` as a JWS in compact form, signed with ES256 by the token-signing key."""
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_header()}.{payload}"
    r, s = decode_dss_signature(keys.token_signing_key().sign(signing_input.encode(), _ES256))
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def jws_sign(claims: dict) -> str:
    """``claims`` as an ES256 JWS (compact form, ``kid`` of the JWKS) by the token-signing key:
    for other kinds of token (sessions) than action tokens, which check their own claims."""
    return _signed(claims)


def jws_claims(token: str) -> dict | None:
    """The claims of a JWS this server signed with ES256, or None for anything else (a bad
    form, header, signature or payload). Checks no claim: the caller does."""
    if not isinstance(token, str) or len(token) > 4096:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header_part, payload_part, signature_part = parts
    try:
        header = json.loads(_b64url_decode(header_part))
        signature = _b64url_decode(signature_part)
        if not isinstance(header, dict) or header.get("alg") != "ES256" or len(signature) != 64:
            return None
        _verifying_key().verify(
            encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            ),
            f"{header_part}.{payload_part}".encode("ascii"),
            _ES256,
        )
        claims = json.loads(_b64url_decode(payload_part))
    except (ValueError, binascii.Error, InvalidSignature):  # JSON and UnicodeError are ValueErrors
        return None
    return claims if isinstance(claims, dict) else None


def _verified(token: str, *, status: int) -> ActionToken:
    """The claims of ``token`` once its header, signature, audience, times and claims hold."""
    invalid = ApplicationError("invalid_token", "The token is not valid.", status=status)
    claims = jws_claims(token)
    if claims is None:
        raise invalid
    if not (
        isinstance(claims, dict)
        and claims.get("aud") == AUDIENCE
        and all(isinstance(claims.get(name), str) for name in _REQUIRED_CLAIMS)
        and isinstance(claims.get("scope", ""), str)
        and all(type(claims.get(name)) is int for name in ("exp", "iat"))
    ):
        raise invalid
    now = timezone.now().timestamp()
    if claims["iat"] > now:
        raise invalid
    if claims["exp"] <= now:
        raise ApplicationError("expired_token", "The token has expired.", status=status)
    return _action_token(claims)


ADD_AUTHENTICATORS = "add:authenticators"


def _token_used() -> ApplicationError:
    return ApplicationError("token_used", "The token was already used.", status=401)


def token_consume(*, jti: str, expires_at: datetime) -> None:
    """Spend the single-use token ``jti``; a second use is refused."""
    try:
        with transaction.atomic():
            ConsumedToken.objects.create(jti=jti, expires_at=expires_at)
    except IntegrityError:
        raise _token_used() from None


def token_require_unspent(*, jti: str) -> None:
    """Refuse early a single-use token that was already spent.

    For work that spends the token only once it succeeds (in a worker): the atomic
    ``token_consume`` there still decides, this only saves a doomed job.
    """
    if ConsumedToken.objects.filter(pk=jti).exists():
        raise _token_used()


def token_user(*, tenant: Tenant, token: ActionToken, scope: str | None = None) -> EndUser:
    """The user a token was issued for, checking it grants ``scope``."""
    if scope is not None and scope not in token.scopes:
        raise ApplicationError(
            "insufficient_scope", f"The token does not grant {scope}.", status=403
        )
    action = selectors.action_get(tenant=tenant, idempotency_key=token.idempotency_key)
    if action is None:
        raise ApplicationError("invalid_token", "The token's action no longer exists.", status=401)
    return action.user


def token_adding_user(*, tenant: Tenant, token: ActionToken | None) -> EndUser:
    """The user an ``add:authenticators`` token lets the app add a credential to."""
    if token is None:
        raise ApplicationError(
            "unauthorized", "Adding a credential needs an action token.", status=401
        )
    return token_user(tenant=tenant, token=token, scope=ADD_AUTHENTICATORS)
