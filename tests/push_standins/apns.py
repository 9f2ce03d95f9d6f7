"""A stand-in for the APNs provider API: HTTP/2 only, over TLS, with token-based auth.

Served by hypercorn (ALPN offers ``h2`` alone, as APNs does) with a tiny ASGI app that checks
what APNs checks: ``POST /3/device/<hex token>``; ``authorization: bearer <JWT>`` signed ES256
by the registered key, ``kid`` that key's id, ``iss`` the team id, ``iat`` no older than an hour
(``ExpiredProviderToken``) and not in the future; ``apns-topic`` the app's bundle id;
``apns-push-type``, ``apns-priority``, ``apns-expiration`` well-formed; a JSON payload with an
``aps`` dictionary, at most 4 KB. Answers 200 with ``apns-id`` or APNs' ``{"reason": ...}``.
"""

import asyncio
import json
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.push_standins.tls import TestTls

PUSH_TYPES = {"alert", "background", "location", "voip", "complication", "fileprovider", "mdm"}
_PATH = re.compile(r"/3/device/([^/]+)")
REASON_FOR_STATUS = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


@dataclass
class ApnsStandIn:
    tls: TestTls
    topic: str = "com.example.recognize"
    team_id: str = "TEAM123456"
    registered: set[str] = field(default_factory=set)
    unregistered: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    presented_tokens: set[str] = field(default_factory=set)
    notifications: list[dict] = field(default_factory=list)
    responses: list[tuple[int, str]] = field(default_factory=list)
    http_versions: list[str] = field(default_factory=list)
    fail_with: int | None = None

    def __post_init__(self):
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        self.key_id = secrets.token_hex(5).upper()
        listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{listener.getsockname()[1]}"
        config = Config()
        config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns (and closes) it from here
        config.certfile, config.keyfile = self.tls.cert_file, self.tls.key_file
        config.alpn_protocols = ["h2"]
        config.errorlog = None
        config.accesslog = None
        config.graceful_timeout = 0.5
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self._loop)
            self._loop.call_soon(started.set)
            self._loop.run_until_complete(
                serve(self._app, config, shutdown_trigger=self._stop.wait)
            )

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        started.wait(5)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def write_signing_key(self, path: Path) -> str:
        """The ``AuthKey_<key id>.p8`` file Apple's developer portal hands out."""
        path.write_bytes(
            self.signing_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return str(path)

    def register_device(self) -> str:
        """A device token as the app gets it from ``registerForRemoteNotifications`` (hex)."""
        token = secrets.token_hex(32)
        self.registered.add(token)
        return token

    def unregister(self, token: str) -> None:
        """The app was removed: APNs answers 410 Unregistered for the token from now on."""
        self.registered.discard(token)
        self.unregistered.add(token)

    def expire_seen_tokens(self) -> None:
        """Every provider token presented so far is refused with ExpiredProviderToken."""
        self.expired_tokens.update(self.presented_tokens)

    async def _app(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                event = (await receive())["type"]
                await send({"type": f"{event}.complete"})
                if event == "lifespan.shutdown":
                    return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        self.http_versions.append(scope["http_version"])
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, reason = self._check(scope, headers, body)
        self.responses.append((status, reason))
        apns_id = headers.get("apns-id") or str(uuid.uuid4())
        answer = b"" if status == 200 else json.dumps(self._reason_body(status, reason)).encode()
        response_headers = [(b"apns-id", apns_id.encode())]
        if answer:
            response_headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": answer})

    @staticmethod
    def _reason_body(status: int, reason: str) -> dict:
        if status == 410:
            return {"reason": reason, "timestamp": int(time.time() * 1000)}
        return {"reason": reason}

    def _check(self, scope, headers: dict, body: bytes) -> tuple[int, str]:
        if scope["http_version"] != "2":
            return 400, "BadPath"  # APNs itself never speaks anything but HTTP/2
        if scope["method"] != "POST":
            return 405, "MethodNotAllowed"
        match = _PATH.fullmatch(scope["path"])
        if not match:
            return 404, "BadPath"
        status, reason = self._check_provider_token(headers.get("authorization", ""))
        if status:
            return status, reason
        if self.fail_with:
            return self.fail_with, REASON_FOR_STATUS.get(self.fail_with, "InternalServerError")
        if "apns-topic" not in headers:
            return 400, "MissingTopic"
        if headers["apns-topic"] != self.topic:
            return 400, "TopicDisallowed"
        push_type = headers.get("apns-push-type", "alert")
        if push_type not in PUSH_TYPES:
            return 400, "InvalidPushType"
        if headers.get("apns-priority", "10") not in ("1", "5", "10"):
            return 400, "BadPriority"
        if not headers.get("apns-expiration", "0").isdigit():
            return 400, "BadExpirationDate"
        if not body:
            return 400, "PayloadEmpty"
        if len(body) > 4096:
            return 413, "PayloadTooLarge"
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, "BadPayload"
        if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
            return 400, "BadPayload"
        if push_type == "alert" and "alert" not in payload["aps"]:
            return 400, "BadPayload"
        token = match.group(1)
        if token in self.unregistered:
            return 410, "Unregistered"
        if token not in self.registered:
            return 400, "BadDeviceToken"
        self.notifications.append(
            {
                "device_token": token,
                "headers": headers,
                "payload": payload,
                "provider_token": headers["authorization"].removeprefix("bearer "),
            }
        )
        return 200, ""

    def _check_provider_token(self, authorization: str) -> tuple[int, str]:
        if not authorization.startswith("bearer "):
            return 403, "MissingProviderToken"
        token = authorization.removeprefix("bearer ")
        self.presented_tokens.add(token)
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "ES256" or header.get("kid") != self.key_id:
                return 403, "InvalidProviderToken"
            claims = jwt.decode(
                token,
                self.signing_key.public_key(),
                algorithms=["ES256"],
                issuer=self.team_id,
                options={"require": ["iss", "iat"], "verify_iat": True},
            )
        except jwt.PyJWTError:
            return 403, "InvalidProviderToken"
        if time.time() - claims["iat"] > 3600 or token in self.expired_tokens:
            return 403, "ExpiredProviderToken"
        return 0, ""
