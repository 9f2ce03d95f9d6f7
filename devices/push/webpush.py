"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291/8188).

The registration is the browser's ``PushSubscription`` (``{"endpoint", "keys": {"p256dh",
"auth"}}``). The message is encrypted for the browser, not the push service: a fresh ephemeral
P-256 key and salt per message, the subscription's ``p256dh`` key and ``auth`` secret. The
request carries ``Authorization: vapid t=<ES256 JWT>, k=<our public key>``, which the push
service checks against the ``applicationServerKey`` the browser subscribed with.

Our VAPID key pair is derived from the master key, so it needs no extra secret and is the same
on every server process; rotating the master key changes it, and browsers then have to
subscribe again (the push service answers 403 to the old subscriptions).
"""

import base64
import binascii
import functools
import os
import re
import struct
import threading
import time
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from devices.push import transport
from devices.push.errors import (
    InvalidPushMessage,
    InvalidRegistration,
    PushNotConfigured,
    PushRejected,
    StaleRegistration,
)
from recognize_project.keys import derive_p256_key

GATEWAY = "Web Push service"
# RFC 8030 §7.2: push services must accept payloads (after encryption) of up to 4096 bytes.
MAX_BODY_BYTES = 4096
RECORD_SIZE = 4096
_HEADER_BYTES = 16 + 4 + 1 + 65
_TAG_BYTES = 16
# One record: the plaintext, its 0x02 last-record delimiter and the GCM tag.
MAX_PLAINTEXT_BYTES = MAX_BODY_BYTES - _HEADER_BYTES - _TAG_BYTES - 1
# RFC 8292 §2: exp no more than 24 hours ahead; a token is reused until an hour before it ends.
VAPID_TOKEN_SECONDS = 12 * 3600
_VAPID_REUSE_SECONDS = VAPID_TOKEN_SECONDS - 3600

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value: object, what: str) -> bytes:
    """Strict base64url (padding optional), raising ``InvalidRegistration`` naming ``what``."""
    if not isinstance(value, str) or not _B64URL.fullmatch(value):
        raise InvalidRegistration(f"{what} must be a base64url string")
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise InvalidRegistration(f"{what} is not valid base64url") from None


@functools.cache
def vapid_private_key() -> ec.EllipticCurvePrivateKey:
    """This server's VAPID key (P-256), derived from the master key."""
    return derive_p256_key("recognize/webpush-vapid/v1")


def _uncompressed(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def vapid_public_key() -> str:
    """The VAPID public key, base64url: the browser's ``applicationServerKey`` when subscribing."""
    return b64url_encode(_uncompressed(vapid_private_key().public_key()))


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return f"https://{host}" + ("" if parts.port in (None, 443) else f":{parts.port}")


def _host_allowed(host: str) -> bool:
    for allowed in settings.RECOGNIZE_PUSH_WEBPUSH_HOSTS:
        allowed = allowed.lower()
        if host == allowed or (allowed.startswith(".") and host.endswith(allowed)):
            return True
    return False


def webpush_registration_validate(registration: object) -> dict:
    """The subscription, checked: an https endpoint on an allowed push service, a P-256 key
    (uncompressed point) and a 16-byte auth secret. Raises ``InvalidRegistration``."""
    if not isinstance(registration, dict):
        raise InvalidRegistration("a Web Push registration must be an object")
    endpoint, keys = registration.get("endpoint"), registration.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        raise InvalidRegistration("a Web Push registration needs its endpoint URL")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise InvalidRegistration("the Web Push endpoint is not a valid URL") from None
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidRegistration("the Web Push endpoint must be an https URL")
    if not _host_allowed(parts.hostname.lower()):
        raise InvalidRegistration("the Web Push endpoint is not on an allowed push service")
    if not isinstance(keys, dict):
        raise InvalidRegistration("a Web Push registration needs keys.p256dh and keys.auth")
    p256dh = b64url_decode(keys.get("p256dh"), "keys.p256dh")
    auth = b64url_decode(keys.get("auth"), "keys.auth")
    if len(p256dh) != 65 or p256dh[0] != 4:
        raise InvalidRegistration("keys.p256dh must be an uncompressed P-256 point (65 bytes)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise InvalidRegistration("keys.p256dh is not a point on P-256") from None
    if len(auth) != 16:
        raise InvalidRegistration("keys.auth must be 16 bytes")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def aes128gcm_encrypt(
    plaintext: bytes,
    *,
    ua_public: bytes,
    auth_secret: bytes,
    salt: bytes | None = None,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """The RFC 8291 message body for one browser: header (salt, rs, sender key) + one record.

    ``salt`` and ``sender_key`` are fresh per message; passing them is for test vectors only.
    """
    if len(plaintext) > MAX_PLAINTEXT_BYTES:
        raise InvalidPushMessage(f"a Web Push message is limited to {MAX_PLAINTEXT_BYTES} bytes")
    salt = salt or os.urandom(16)
    sender_key = sender_key or ec.generate_private_key(ec.SECP256R1())
    sender_public = _uncompressed(sender_key.public_key())
    ua_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    ecdh_secret = sender_key.exchange(ec.ECDH(), ua_key)
    key_info = b"WebPush: info\x00" + ua_public + sender_public
    ikm = _hkdf(auth_secret, ecdh_secret, key_info, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(sender_public)) + sender_public
    return header + record


def _vapid_token(audience: str, subject: str, *, renew: bool = False) -> str:
    """A VAPID JWT for ``audience``, reused until an hour before it expires."""
    key = (audience, subject, vapid_public_key())
    now = time.time()
    with _tokens_lock:
        cached = _tokens.get(key)
        if cached and not renew and now - cached[1] < _VAPID_REUSE_SECONDS:
            return cached[0]
        claims = {"aud": audience, "exp": int(now) + VAPID_TOKEN_SECONDS, "sub": subject}
        token = jwt.encode(claims, vapid_private_key(), algorithm="ES256")
        _tokens[key] = (token, now)
        return token


def webpush_send(*, registration: dict, payload: bytes, ttl_seconds: int) -> None:
    """Encrypt ``payload`` for the subscription and POST it to its push service."""
    subject = settings.RECOGNIZE_PUSH_VAPID_SUBJECT
    if not subject:
        raise PushNotConfigured("Web Push needs RECOGNIZE_PUSH_VAPID_SUBJECT (mailto: or https:)")
    endpoint = registration["endpoint"]
    body = aes128gcm_encrypt(
        payload,
        ua_public=b64url_decode(registration["keys"]["p256dh"], "keys.p256dh"),
        auth_secret=b64url_decode(registration["keys"]["auth"], "keys.auth"),
    )
    renew = False
    for _attempt in range(2):
        token = _vapid_token(_origin(endpoint), subject, renew=renew)
        headers = {
            "Authorization": f"vapid t={token}, k={vapid_public_key()}",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl_seconds),
            "Urgency": "high",
        }
        response = transport.post(GATEWAY, endpoint, content=body, headers=headers)
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (404, 410):
            raise StaleRegistration(f"{GATEWAY} says the subscription is gone (HTTP {status})")
        if transport.is_transient(status):
            raise transport.transient(GATEWAY, response)
        if status in (401, 403) and not renew:
            renew = True
            continue
        break
    raise PushRejected(f"{GATEWAY} refused the message (HTTP {status})")
