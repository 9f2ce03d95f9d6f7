"""A stand-in push service (RFC 8030) and the browser on the other end of it.

``WebPushBrowser`` plays the user agent: a P-256 key pair and a 16-byte auth secret per
subscription, and RFC 8291/8188 decryption of what arrives. ``WebPushStandIn`` plays the push
service: it hands out endpoints bound to the application server key the browser subscribed
with, and on ``POST <endpoint>`` checks what a push service checks (RFC 8292 VAPID: ES256 JWT
signed by the ``k=`` key, that key equal to the subscription's, ``aud`` the endpoint's origin,
``exp`` within 24 hours, a mailto:/https: ``sub``; RFC 8030: ``TTL``, ``Urgency``, size;
``Content-Encoding: aes128gcm``) and then delivers to the browser, which decrypts.

Unlike a real push service (which cannot read the payload), this one answers 400 when the
browser cannot decrypt, so an encryption bug fails the test at the request that caused it.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.push_standins.tls import HttpsServer, JsonHandler, TestTls

URGENCIES = {"very-low", "low", "normal", "high"}
MAX_BODY_BYTES = 4096


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class DecryptionError(Exception):
    pass


class WebPushBrowser:
    """The user agent: subscription keys, and the messages it has decrypted."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None, auth=None):
        self.private_key = private_key or ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = auth or os.urandom(16)
        self.messages: list[dict] = []

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def subscription(self, endpoint: str) -> dict:
        """``PushSubscription.toJSON()`` as a page would send it to its server."""
        return {
            "endpoint": endpoint,
            "keys": {"p256dh": b64url(self.public_bytes), "auth": b64url(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 key derivation and RFC 8188 record decryption (written out with HMAC)."""
        if len(body) < 21:
            raise DecryptionError("body shorter than the aes128gcm header")
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender_public, records = body[21 : 21 + idlen], body[21 + idlen :]
        if rs < 18:
            raise DecryptionError("record size below 18")
        if idlen != 65:
            raise DecryptionError("keyid is not an uncompressed P-256 point")
        try:
            sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
        except ValueError:
            raise DecryptionError("keyid is not a P-256 point") from None
        ecdh_secret = self.private_key.exchange(ec.ECDH(), sender)
        prk_key = _hmac(self.auth_secret, ecdh_secret)
        key_info = b"WebPush: info\x00" + self.public_bytes + sender_public
        ikm = _hmac(prk_key, key_info + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
        base_nonce = int.from_bytes(_hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12], "big")
        chunks = [records[i : i + rs] for i in range(0, len(records), rs)]
        if not chunks:
            raise DecryptionError("no records")
        plaintext = b""
        for seq, chunk in enumerate(chunks):
            nonce = (base_nonce ^ seq).to_bytes(12, "big")
            try:
                record = AESGCM(cek).decrypt(nonce, chunk, None)
            except InvalidTag:
                raise DecryptionError(f"record {seq} does not authenticate") from None
            unpadded = record.rstrip(b"\x00")
            last = seq == len(chunks) - 1
            if not unpadded or unpadded[-1] != (2 if last else 1):
                raise DecryptionError(f"record {seq} has the wrong padding delimiter")
            plaintext += unpadded[:-1]
        return plaintext


@dataclass
class _Subscription:
    browser: WebPushBrowser
    application_server_key: bytes
    gone: bool = False


@dataclass
class WebPushStandIn:
    tls: TestTls
    subscriptions: dict[str, _Subscription] = field(default_factory=dict)
    deliveries: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    revoked_tokens: set[str] = field(default_factory=set)
    fail_with: int | None = None

    def __post_init__(self):
        standin = self

        class Handler(JsonHandler):
            def do_POST(self):
                body = self.read_body()
                status, error = standin._receive(self.path, self.headers, body)
                standin.requests.append(
                    {"path": self.path, "status": status, "error": error, "headers": self.headers}
                )
                if status == 201:
                    location = f"/message/{uuid.uuid4().hex}"
                    return self.answer(201, headers={"Location": location})
                return self.answer(status, {"code": status, "errno": 0, "error": error})

        self.http = HttpsServer(Handler, self.tls)
        self.url = self.http.url
        self.origin = self.url

    def close(self) -> None:
        self.http.close()

    def subscribe(self, browser: WebPushBrowser, application_server_key: str) -> dict:
        """The browser subscribes with ``applicationServerKey``; returns its PushSubscription."""
        path = f"/wpush/v2/{uuid.uuid4().hex}"
        self.subscriptions[path] = _Subscription(browser, unb64url(application_server_key))
        return browser.subscription(self.url + path)

    def unsubscribe(self, endpoint: str) -> None:
        """The user revoked permission: the push service answers 410 Gone from now on."""
        self.subscriptions[endpoint.removeprefix(self.url)].gone = True

    def revoke_seen_tokens(self) -> None:
        """Refuse (401) every VAPID token seen so far, as if they had expired."""
        for request in self.requests:
            match = re.search(r"t=([^,\s]+)", request["headers"].get("Authorization", ""))
            if match:
                self.revoked_tokens.add(match.group(1))

    def _receive(self, path: str, headers, body: bytes) -> tuple[int, str]:
        subscription = self.subscriptions.get(path)
        if subscription is None:
            return 404, "unknown subscription"
        if subscription.gone:
            return 410, "subscription expired"
        if self.fail_with:
            return self.fail_with, "push service unavailable"
        status, error = self._check_vapid(headers.get("Authorization", ""), subscription)
        if status:
            return status, error
        ttl = headers.get("TTL", "")
        if not ttl.isdigit():
            return 400, "missing or invalid TTL header"
        urgency = headers.get("Urgency", "normal")
        if urgency not in URGENCIES:
            return 400, "invalid Urgency header"
        if headers.get("Content-Encoding") != "aes128gcm":
            return 415, "Content-Encoding must be aes128gcm"
        if len(body) > MAX_BODY_BYTES:
            return 413, "payload too large"
        try:
            plaintext = subscription.browser.decrypt(body)
        except DecryptionError as error:
            return 400, f"the browser could not decrypt the message: {error}"
        message = json.loads(plaintext)
        subscription.browser.messages.append(message)
        self.deliveries.append(
            {"endpoint": self.url + path, "ttl": int(ttl), "urgency": urgency, "message": message}
        )
        return 201, ""

    def _check_vapid(self, authorization: str, subscription: _Subscription) -> tuple[int, str]:
        match = re.fullmatch(r"vapid\s+(.+)", authorization.strip(), re.IGNORECASE)
        if not match:
            return 401, "missing VAPID authorization"
        params = {}
        for part in match.group(1).split(","):
            name, _, value = part.strip().partition("=")
            params[name.strip()] = value.strip()
        token, key_text = params.get("t", ""), params.get("k", "")
        try:
            key_bytes = unb64url(key_text)
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
        except ValueError:
            return 401, "k= is not an uncompressed P-256 public key"
        if key_bytes != subscription.application_server_key:
            return 403, "k= is not the key the subscription was created with"
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["aud", "exp"]},
            )
        except jwt.PyJWTError as error:
            return 401, f"invalid VAPID token: {error}"
        if claims["exp"] > time.time() + 24 * 3600:
            return 401, "VAPID token expires more than 24 hours ahead"
        sub = claims.get("sub", "")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https://")):
            return 401, "VAPID sub must be a mailto: or https: URL"
        if token in self.revoked_tokens:
            return 401, "VAPID token no longer accepted"
        return 0, ""
