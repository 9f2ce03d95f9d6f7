"""HTTP client for Recognize's Client API (the paths of Authsignal's mobile SDKs)."""

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


class RecognizeError(Exception):
    """An error answer from the server: HTTP status, ``errorCode`` and description."""

    def __init__(self, status: int, code: str, description: str, body: dict | None = None):
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description
        self.body = body or {}


Transport = Callable[[str, str, dict[str, str], bytes | None], tuple[int, bytes]]


def urllib_transport(timeout: float) -> Transport:
    """The default transport: one HTTP request with the standard library."""

    def send(method: str, url: str, headers: dict[str, str], body: bytes | None):
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    return send


class RecognizeClient:
    """Calls the Client API as an app: with an action token, or with the public tenant id."""

    def __init__(
        self,
        base_url: str,
        tenant_id: str,
        timeout: float = 10.0,
        transport: Transport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.tenant_id = tenant_id
        self.transport = transport or urllib_transport(timeout)

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request and return the decoded JSON, raising ``RecognizeError``."""
        if token:
            authorization = f"Bearer {token}"
        else:
            basic = base64.urlsafe_b64encode(f"{self.tenant_id}:".encode()).decode()
            authorization = f"Basic {basic}"
        headers = {
            "Authorization": authorization,
            "Content-Type": "application/json",
            **(headers or {}),
        }
        data = json.dumps(body).encode() if body is not None else None
        status, raw = self.transport(method, f"{self.base_url}{path}", headers, data)
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        if status >= 400:
            raise RecognizeError(
                status,
                payload.get("errorCode", "http_error"),
                payload.get("errorDescription", f"HTTP {status}"),
                payload,
            )
        return payload

    def add_in_app_credential(
        self, *, token: str, public_key: str, device_name: str = "", platform: str = ""
    ) -> dict:
        """Bind ``public_key`` to the token's user (needs scope ``add:authenticators``)."""
        body = {"publicKey": public_key, "deviceName": device_name, "devicePlatform": platform}
        return self.request("POST", "/v1/client/user-authenticators/in-app", body, token)

    def get_in_app_credential(self, *, public_key: str) -> dict:
        """The credential bound to ``public_key``."""
        encoded = base64.urlsafe_b64encode(public_key.encode()).decode()
        path = f"/v1/client/user-authenticators/in-app?publicKey={encoded}"
        return self.request("GET", path)

    def challenge(self, *, token: str | None = None, action: str | None = None) -> dict:
        """A fresh single-use challenge, bound to the token's action when a token is given."""
        return self.request(
            "POST", "/v1/client/challenge", {"action": action} if action else {}, token
        )

    def verify_in_app(
        self, *, challenge_id: str, public_key: str, signature: str, token: str | None = None
    ) -> dict:
        """Answer a challenge with the device key's signature; returns the new token."""
        body = {"challengeId": challenge_id, "publicKey": public_key, "signature": signature}
        return self.request("POST", "/v1/client/verify/in-app", body, token)

    def device_challenge(self, *, public_key: str, purpose: str) -> dict:
        """A single-use nonce for one request of ``purpose`` signed by ``public_key``'s key
        (``device.remove``, ``push.register``, ``push.remove``, ``push.poll``)."""
        body = {"publicKey": public_key, "purpose": purpose}
        return self.request("POST", "/v1/client/device-challenge", body)

    def remove_in_app_credential(self, *, fields: dict) -> dict:
        """Unbind the device; ``fields`` are signed for ``device.remove`` (``InAppDevice``)."""
        return self.request("POST", "/v1/client/user-authenticators/in-app/remove", fields)

    def add_push_credential(
        self,
        *,
        token: str,
        public_key: str,
        channel: str = "POLL",
        registration: dict | None = None,
        device_name: str = "",
    ) -> dict:
        """Make ``public_key``'s install a push authenticator (scope ``add:authenticators``)."""
        body = {"publicKey": public_key, "deviceName": device_name, "channel": channel}
        if registration:
            body["registration"] = registration
        return self.request("POST", "/v1/client/user-authenticators/push", body, token)

    def get_push_challenge(self, *, public_key: str, challenge_id: str, signature: str) -> dict:
        """The pending push challenge for this install (``challengeId`` None when there is
        none); ``signature`` is the device key's for ``push.poll`` under ``challenge_id``."""
        encoded = base64.urlsafe_b64encode(public_key.encode()).decode()
        path = f"/v1/client/user-authenticators/push/challenge?publicKey={encoded}"
        return self.request(
            "GET",
            f"{path}&challengeId={challenge_id}",
            headers={"X-Recognize-Signature": signature},
        )

    def update_push_registration(self, *, fields: dict) -> dict:
        """A new gateway registration; ``fields`` are signed for ``push.register``."""
        return self.request("POST", "/v1/client/user-authenticators/push/registration", fields)

    def remove_push_credential(self, *, fields: dict) -> dict:
        """Stop push on this install; ``fields`` are signed for ``push.remove``."""
        return self.request("POST", "/v1/client/user-authenticators/push/remove", fields)

    def answer_push_challenge(
        self,
        *,
        challenge_id: str,
        public_key: str,
        signature: str,
        approved: bool,
        verification_code: str | None = None,
    ) -> dict:
        """Approve or deny a push challenge; ``signature`` is over ``challenge_id``."""
        body = {
            "challengeId": challenge_id,
            "publicKey": public_key,
            "signature": signature,
            "approved": approved,
            "verificationCode": verification_code,
        }
        return self.request("POST", "/v1/client/user-authenticators/push/challenge", body)

    def face(self, operation: str, *, token: str, body: dict | None = None) -> dict:
        """POST to ``/v1/client/face/{operation}`` and wait (polling) for a pending job."""
        result = self.request("POST", f"/v1/client/face/{operation}", body, token)
        return self.face_job_wait(result, token=token)

    def face_job_wait(self, result: dict, *, token: str, timeout: float = 60.0) -> dict:
        """Poll a pending face job until the server has its result."""
        deadline = time.monotonic() + timeout
        while result.get("status") == "PENDING" and time.monotonic() < deadline:
            time.sleep(0.2)
            result = self.request("GET", f"/v1/client/face/jobs/{result['jobId']}", None, token)
        return result
