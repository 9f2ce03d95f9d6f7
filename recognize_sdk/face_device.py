"""Face enrollment and authentication as a device does them.

On-device mode (the default): the photo is analysed here, the embedding is rotated with a
secret seed that never leaves this device (it is kept in the 0600 key file), and only the
protected template is sent. Upload mode sends the photo and the seed for the server to do the
same (for browsers and ID photos); the server discards both after use.
"""

import base64
import os

from recognize_sdk.device import InAppDevice
from recognize_sdk.proof import proof_message

SEED_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class FaceDevice:
    """Face operations of a bound app install (``InAppDevice``)."""

    def __init__(self, device: InAppDevice) -> None:
        self.device = device

    def _seed(self, *, create: bool) -> bytes:
        key = self.device.key()
        encoded = key.binding.get("faceSeed")
        if encoded:
            return base64.b64decode(encoded)
        if not create:
            raise LookupError("no face is enrolled on this device")
        seed = os.urandom(SEED_BYTES)
        key.binding["faceSeed"] = _b64(seed)
        key.save(self.device.key_path)
        return seed

    def _submit(
        self, operation: str, *, token: str, image: bytes, seed: bytes, field: str, upload: bool
    ) -> dict:
        if upload:
            body, content = {"image": _b64(image), "seed": _b64(seed)}, image + seed
        else:
            from recognize_sdk.face import analyze_face
            from recognize_sdk.face.protect import protect

            vector = protect(analyze_face(image).embedding, seed).astype("<f4").tobytes()
            body, content = {field: _b64(vector)}, vector
        key = self.device.key()
        challenge_id = self.device.client.challenge(token=token)["challengeId"]
        body.update(
            challengeId=challenge_id,
            publicKey=key.public_key,
            signature=key.sign(proof_message(challenge_id, content)),
        )
        return self.device.client.face(operation, token=token, body=body)

    def enroll(self, *, token: str, image: bytes, upload: bool = False) -> dict:
        """Enroll the face in ``image`` (token with ``add:authenticators``) under a new seed."""
        key = self.device.key()
        key.binding.pop("faceSeed", None)
        key.save(self.device.key_path)
        seed = self._seed(create=True)
        return self._submit(
            "enroll", token=token, image=image, seed=seed, field="protectedTemplate", upload=upload
        )

    def authenticate(self, *, token: str, image: bytes, upload: bool = False) -> dict:
        """Prove the action's user is in front of the device; returns the new token."""
        return self._submit(
            "authenticate",
            token=token,
            image=image,
            seed=self._seed(create=False),
            field="protectedProbe",
            upload=upload,
        )

    def deenroll(self, *, token: str) -> dict:
        """Delete the face (token from a recent face authentication) and forget the seed."""
        result = self.device.client.request("POST", "/v1/client/face/deenroll", {}, token)
        key = self.device.key()
        key.binding.pop("faceSeed", None)
        key.save(self.device.key_path)
        return result

    def create_client_state(self, *, token: str, type: str = "BACKUP") -> dict:
        """Ask for a client state of the enrolled face (token with ``add:authenticators``).

        Sends this device's seed, signed with its key, so a new device can later restore the
        face. Returns ``{deviceId, clientState, type, expiresAt?}``; the app hands
        ``clientState`` to its backend (BACKUP) or keeps it for the current flow (TEMPORARY).
        """
        seed = self._seed(create=False)
        key = self.device.key()
        challenge_id = self.device.client.challenge(token=token)["challengeId"]
        body = {
            "type": type,
            "seed": _b64(seed),
            "challengeId": challenge_id,
            "publicKey": key.public_key,
            "signature": key.sign(proof_message(challenge_id, seed)),
        }
        return self.device.client.request("POST", "/v1/client/client-states", body, token)
