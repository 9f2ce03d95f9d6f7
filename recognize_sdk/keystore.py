"""The device's signing key, kept in a file only its owner can read (mode 0600)."""

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass
class DeviceKey:
    """A P-256 key pair plus what the server said when the key was bound."""

    private_key: ec.EllipticCurvePrivateKey
    binding: dict = field(default_factory=dict)

    @classmethod
    def generate(cls) -> "DeviceKey":
        """A fresh key pair (on a phone this lives in the secure enclave / keystore)."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_key(self) -> str:
        """The public key as base64 SubjectPublicKeyInfo, the form the API takes."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, message: str) -> str:
        """ECDSA-SHA256 signature of ``message`` (DER), base64."""
        signature = self.private_key.sign(message.encode(), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()

    def save(self, path: Path) -> None:
        """Write the key to ``path`` with permissions 0600, replacing the file atomically."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"privateKey": pem, "binding": self.binding}, handle)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> "DeviceKey":
        """Read a key saved by :meth:`save`; refuses a file others can read."""
        if os.stat(path).st_mode & 0o077:
            raise PermissionError(f"{path} must not be readable by others (chmod 600)")
        data = json.loads(path.read_text())
        key = serialization.load_pem_private_key(data["privateKey"].encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold a P-256 key")
        return cls(key, data.get("binding", {}))
