"""A stand-in for FCM's HTTP v1 API and Google's OAuth 2.0 token endpoint.

``POST /token`` is the service account's ``token_uri``: a JWT bearer grant (RFC 7523) whose
assertion must be RS256-signed by the service account's key (``kid`` its key id), issued by
its e-mail, for this endpoint (``aud``), with the firebase.messaging ``scope``, valid for at
most an hour; answers an access token. ``POST /v1/projects/{project}/messages:send`` needs
that token as a bearer and a message to one registered token with string-to-string ``data``;
answers ``{"name": ...}`` or FCM's error shapes (UNREGISTERED, INVALID_ARGUMENT with an
FcmError or BadRequest detail, UNAUTHENTICATED, UNAVAILABLE...).
"""

import functools
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.push_standins.tls import HttpsServer, JsonHandler, TestTls

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
STATUS_NAMES = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
ERROR_CODES = {429: "QUOTA_EXCEEDED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_SEND_PATH = re.compile(r"/v1/projects/([^/]+)/messages:send")


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    # One RSA key per test process: generating one per stand-in costs more than the tests.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _error(code: int, status: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "status": status, "details": details or []}}


@dataclass
class FcmStandIn:
    tls: TestTls
    project_id: str = "recognize-test"
    registered: set[str] = field(default_factory=set)
    unregistered: set[str] = field(default_factory=set)
    access_tokens: dict[str, float] = field(default_factory=dict)
    token_requests: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    send_statuses: list[int] = field(default_factory=list)
    fail_with: int | None = None

    def __post_init__(self):
        self.private_key = _signing_key()
        self.private_key_id = secrets.token_hex(20)
        self.client_email = f"firebase-adminsdk@{self.project_id}.iam.gserviceaccount.com"
        standin = self

        class Handler(JsonHandler):
            def do_POST(self):
                body = self.read_body()
                if self.path == "/token":
                    status, answer = standin._token(body)
                    standin.token_requests.append({"status": status, "answer": answer})
                else:
                    status, answer = standin._send(self.path, self.headers, body)
                    standin.send_statuses.append(status)
                headers = {"Retry-After": "7"} if status == 429 else None
                self.answer(status, answer, headers)

        self.http = HttpsServer(Handler, self.tls)
        self.url = self.http.url
        self.token_uri = f"{self.url}/token"

    def close(self) -> None:
        self.http.close()

    def service_account(self) -> dict:
        """The service account key file Firebase's console hands out."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "1" * 21,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }

    def write_service_account(self, path: Path) -> str:
        path.write_text(json.dumps(self.service_account()))
        return str(path)

    def register_device(self) -> str:
        """A registration token, as the FCM SDK gives the app."""
        token = f"{secrets.token_urlsafe(16)}:APA91b{secrets.token_urlsafe(100)}"
        self.registered.add(token)
        return token

    def unregister(self, token: str) -> None:
        """The app was uninstalled: FCM answers 404 UNREGISTERED for the token from now on."""
        self.registered.discard(token)
        self.unregistered.add(token)

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far stops working (401), as when it expires."""
        self.access_tokens.clear()

    def _token(self, body: bytes) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant"}
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("alg") != "RS256" or header.get("kid") != self.private_key_id:
                raise jwt.InvalidTokenError("unknown key id or algorithm")
            claims = jwt.decode(
                assertion,
                self.private_key.public_key(),
                algorithms=["RS256"],
                audience=self.token_uri,
                issuer=self.client_email,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.PyJWTError as error:
            return 400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {error}"}
        if claims["exp"] - claims["iat"] > 3600 or claims["iat"] > time.time() + 60:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT times"}
        if SCOPE not in str(claims.get("scope", "")).split():
            return 400, {"error": "invalid_scope", "error_description": "Missing scope"}
        token = f"ya29.{secrets.token_urlsafe(40)}"
        self.access_tokens[token] = time.time() + 3599
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _send(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        match = _SEND_PATH.fullmatch(path)
        if not match:
            return 404, _error(404, "NOT_FOUND", "Unknown path")
        bearer = headers.get("Authorization", "").removeprefix("Bearer ")
        if self.access_tokens.get(bearer, 0) < time.time():
            return 401, _error(401, "UNAUTHENTICATED", "Request had invalid credentials.")
        if match.group(1) != self.project_id:
            return 403, _error(403, "PERMISSION_DENIED", "Permission denied on the project")
        if self.fail_with:
            code = ERROR_CODES.get(self.fail_with, "INTERNAL")
            details = [{"@type": FCM_ERROR, "errorCode": code}]
            status = STATUS_NAMES.get(self.fail_with, "INTERNAL")
            return self.fail_with, _error(self.fail_with, status, "Try again", details)
        try:
            message = json.loads(body)["message"]
        except (ValueError, KeyError, TypeError):
            return 400, _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        problem = self._shape_problem(message)
        if problem:
            violation = {"field": problem[0], "description": problem[1]}
            details = [{"@type": BAD_REQUEST, "fieldViolations": [violation]}]
            return 400, _error(400, "INVALID_ARGUMENT", problem[1], details)
        token = message["token"]
        if token in self.unregistered:
            details = [{"@type": FCM_ERROR, "errorCode": "UNREGISTERED"}]
            return 404, _error(404, "NOT_FOUND", "Requested entity was not found.", details)
        if token not in self.registered:
            details = [{"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"}]
            text = "The registration token is not a valid FCM registration token"
            return 400, _error(400, "INVALID_ARGUMENT", text, details)
        self.messages.append(message)
        return 200, {"name": f"projects/{self.project_id}/messages/{uuid.uuid4().hex}"}

    @staticmethod
    def _shape_problem(message) -> tuple[str, str] | None:
        if not isinstance(message, dict):
            return "message", "message must be an object"
        targets = [k for k in ("token", "topic", "condition") if k in message]
        if targets != ["token"] or not isinstance(message["token"], str):
            return "message.token", "exactly one target, a token string, is required here"
        data = message.get("data", {})
        if not isinstance(data, dict):
            return "message.data", "data must be a map"
        for index, (key, value) in enumerate(data.items()):
            if not isinstance(value, str):
                return f"message.data[{index}].value", f"Invalid value (TYPE_STRING), {value}"
            if key in ("from", "message_type") or key.startswith(("google", "gcm")):
                return f"message.data[{index}].key", f"Invalid data key {key!r}"
        if sum(len(k.encode()) + len(v.encode()) for k, v in data.items()) > 4096:
            return "message.data", "Message is too big"
        android = message.get("android", {})
        if str(android.get("priority", "normal")).lower() not in ("normal", "high"):
            return "message.android.priority", "Invalid priority"
        if "ttl" in android and not re.fullmatch(r"\d+(\.\d{1,9})?s", str(android["ttl"])):
            return "message.android.ttl", "Invalid duration"
        return None
