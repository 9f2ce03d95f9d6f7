"""What an app install does: bind its key, answer challenges, unbind."""

from pathlib import Path

from recognize_sdk.client import RecognizeClient
from recognize_sdk.keystore import DeviceKey
from recognize_sdk.proof import device_request_message


class InAppDevice:
    """An app install whose key lives at ``key_path``."""

    def __init__(self, client: RecognizeClient, key_path: Path) -> None:
        self.client = client
        self.key_path = Path(key_path)

    def key(self) -> DeviceKey:
        """The stored key; raises FileNotFoundError when the device was never bound."""
        return DeviceKey.load(self.key_path)

    def key_or_create(self) -> DeviceKey:
        """The stored key, or a new one saved first: the private key is kept before the server
        ever learns the public one."""
        key = DeviceKey.load(self.key_path) if self.key_path.exists() else DeviceKey.generate()
        key.save(self.key_path)
        return key

    def bind(self, *, token: str, name: str = "", platform: str = "python") -> dict:
        """Create a key (or reuse the stored one) and bind it with a token from ``track``."""
        key = self.key_or_create()
        result = self.client.add_in_app_credential(
            token=token, public_key=key.public_key, device_name=name, platform=platform
        )
        key.binding = result
        key.save(self.key_path)
        return result

    def verify(self, *, token: str | None = None, action: str | None = None) -> dict:
        """Fetch a challenge, sign it and answer; returns the server's new token."""
        key = self.key()
        challenge = self.client.challenge(token=token, action=action)
        return self.client.verify_in_app(
            challenge_id=challenge["challengeId"],
            public_key=key.public_key,
            signature=key.sign(challenge["challengeId"]),
            token=token,
        )

    def signed(self, purpose: str, fields: dict | None = None) -> dict:
        """``fields`` with this key, a fresh nonce for ``purpose`` and the key's signature over
        them all (``recognize_sdk.proof.device_request_message``): valid for one request."""
        key = self.key()
        nonce = self.client.device_challenge(public_key=key.public_key, purpose=purpose)
        signed = {
            **(fields or {}),
            "publicKey": key.public_key,
            "challengeId": nonce["challengeId"],
        }
        message = device_request_message(
            purpose=purpose,
            tenant_id=self.client.tenant_id,
            challenge_id=nonce["challengeId"],
            fields=signed,
        )
        return {**signed, "signature": key.sign(message)}

    def remove(self) -> dict:
        """Unbind this device (a signed ``device.remove`` request) and delete the local key."""
        result = self.client.remove_in_app_credential(fields=self.signed("device.remove"))
        self.key_path.unlink()
        return result
