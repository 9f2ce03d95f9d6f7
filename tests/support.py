"""Test helpers: a tenant with the official Authsignal SDK and reference devices."""

from pathlib import Path

from authsignal.client import AuthsignalClient

from accounts.services import tenant_create
from recognize_sdk import RecognizeClient
from recognize_sdk.device import InAppDevice
from tests.transports import BASE_URL, DjangoAdapter, device_transport


def authsignal_client(secret: str, base_url: str = BASE_URL) -> AuthsignalClient:
    """The official SDK, unchanged, pointed at Recognize (in-process for testserver URLs)."""
    client = AuthsignalClient(api_secret_key=secret, api_url=f"{base_url}/v1")
    if base_url == BASE_URL:
        client.session.mount(BASE_URL, DjangoAdapter())
    return client


class TenantContext:
    """A tenant with its secret key, its backend (official SDK) and a device factory."""

    def __init__(self, name: str, tmp_path, base_url: str = BASE_URL) -> None:
        self.tenant, self.secret = tenant_create(name=name)
        self.base_url = base_url
        self.server = authsignal_client(self.secret, base_url)
        self.tmp_path = tmp_path

    @property
    def tenant_id(self) -> str:
        return str(self.tenant.pk)

    def device_client(self) -> RecognizeClient:
        transport = device_transport() if self.base_url == BASE_URL else None
        return RecognizeClient(self.base_url, self.tenant_id, transport=transport)

    def device(self, name: str = "phone") -> InAppDevice:
        """A fresh, unbound app install with its key file under tmp_path."""
        return InAppDevice(self.device_client(), self.tmp_path / f"{self.tenant.name}-{name}.json")

    def bound_device(self, user_id: str, name: str = "phone") -> InAppDevice:
        """An app install bound to ``user_id`` through track + add credential."""
        device = self.device(name)
        token = self.server.track(user_id, "enroll", {"scope": "add:authenticators"})["token"]
        device.bind(token=token, name=name)
        return device

    def track(self, user_id: str, action: str = "signIn", **attributes) -> dict:
        return self.server.track(user_id, action, attributes)

    def delete_device(self, user_id: str, device_id: str) -> dict:
        """``DELETE /v1/users/{userId}/devices/{deviceId}`` through the SDK's session.

        The SDK has no method for this Recognize addition; its session adds the same auth
        and error handling.
        """
        url = f"{self.server.api_url}/users/{user_id}/devices/{device_id}"
        return self.server.session.delete(url).decamelized_content

    def list_devices(self, user_id: str) -> list[dict]:
        """``GET /v1/users/{userId}/devices`` through the SDK's session."""
        url = f"{self.server.api_url}/users/{user_id}/devices"
        return self.server.session.get(url).decamelized_content


FACES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces"


def face_photo(relative: str) -> bytes:
    """A test photo from ../shared/data/faces (never copied into the repository)."""
    return (FACES_DIR / relative).read_bytes()
