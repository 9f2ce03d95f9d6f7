"""Action tokens are ES256 JWS made and checked without PyJWT: standard for tenants, strict here."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from actions.tokens import AUDIENCE, token_decode
from recognize_project import keys
from recognize_project.errors import ApplicationError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**changes) -> dict:
    now = int(timezone.now().timestamp())
    claims = {
        "iss": "http://testserver",
        "aud": AUDIENCE,
        "sub": "alice",
        "tid": "tenant",
        "act": "signIn",
        "idk": "00000000-0000-0000-0000-000000000001",
        "scope": "",
        "jti": "jti-1",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _pyjwt(claims: dict, key=None, **headers) -> str:
    return jwt.encode(claims, key or keys.token_signing_key(), algorithm="ES256", headers=headers)


def _refused(token: str) -> str:
    with pytest.raises(ApplicationError) as error:
        token_decode(token)
    return error.value.code


def test_a_token_issued_by_the_server_passes_pyjwt_with_the_published_key(acme):
    token = acme.track("alice")["token"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": keys.token_signing_jwk()["kid"], "typ": "JWT"}
    public = jwt.PyJWK(keys.token_signing_jwk())
    assert jwt.decode(token, public, algorithms=["ES256"], audience=AUDIENCE)["sub"] == "alice"


def test_a_standard_es256_token_of_the_signing_key_is_accepted(db):
    claims = token_decode(_pyjwt(_claims(scope="add:authenticators")))
    assert (claims.user_id, claims.scopes) == ("alice", frozenset({"add:authenticators"}))


@pytest.mark.parametrize(
    "claims",
    [
        _claims(aud="someone-else"),
        _claims(aud=[AUDIENCE]),
        _claims(sub=None),
        _claims(jti=None),
        _claims(idk=7),
        _claims(scope=["add:authenticators"]),
        _claims(exp=None),
        _claims(exp=str(int(timezone.now().timestamp()) + 300)),
        _claims(iat=int(timezone.now().timestamp()) + 60),
    ],
    ids=[
        "audience",
        "audience-list",
        "no-sub",
        "no-jti",
        "idk-int",
        "scope-list",
        "no-exp",
        "exp-string",
        "iat-future",
    ],
)
def test_tokens_with_wrong_or_missing_claims_are_refused(db, claims):
    assert _refused(_pyjwt(claims)) == "invalid_token"


def test_an_expired_token_is_refused_as_expired(db):
    now = int(timezone.now().timestamp())
    assert _refused(_pyjwt(_claims(iat=now - 600, exp=now))) == "expired_token"


def test_signatures_must_be_by_the_signing_key_over_exactly_the_token(db):
    token = _pyjwt(_claims())
    while not {"-", "_"} & set(token.split(".")[2]):  # to spell it in base64 too (below)
        token = _pyjwt(_claims())
    header, payload, signature = token.split(".")
    other = _pyjwt(_claims(sub="mallory"))
    forged_payload = f"{header}.{other.split('.')[1]}.{signature}"
    another_key = _pyjwt(_claims(), key=ec.generate_private_key(ec.SECP256R1()))
    raw = base64.urlsafe_b64decode(signature + "==")
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    for bad in [
        forged_payload,
        another_key,
        f"{header}.{payload}.{_b64(der)}",  # DER instead of r || s
        f"{header}.{payload}.{signature}=",  # padding is not base64url
        f"{header}.{payload}.{signature.replace('-', '+').replace('_', '/')}",  # nor is base64
        f"{header}.{payload}.",
        f"{header}.{payload}",
        f"{token}.{signature}",
        "not a token",
    ]:
        assert _refused(bad) == "invalid_token", bad


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384"])
def test_a_header_naming_another_algorithm_is_refused(db, alg):
    token = _pyjwt(_claims())
    _, payload, signature = token.split(".")
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    assert _refused(f"{header}.{payload}.{signature}") == "invalid_token"
    assert _refused(f"{header}.{payload}.") == "invalid_token"


def test_a_remembered_token_still_expires(acme, monkeypatch):
    token = acme.track("alice")["token"]
    token_decode(token)
    later = timezone.now() + timedelta(seconds=601)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _refused(token) == "expired_token"
