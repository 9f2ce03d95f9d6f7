"""Write the shared test vectors of ``recognize_sdk.proof`` and the device key's wire forms.

The web client (``clients/web``, run with ``node --test``) and the Python tests both read the
JSON files this writes, so the two implementations of what a device signs cannot drift.
Everything here is deterministic: run ``python -m tests.vectors.generate`` after changing
``recognize_sdk/proof.py`` and commit the result; ``tests/sdk/test_vectors.py`` fails when the
committed files and this module disagree.

Numbers in ``fields`` are the ones a JavaScript client can send as they are: integers below
2**53 and non-integral floats (JavaScript has no integral float: ``1.0`` goes on the wire as
``1``, which the server reads as an int).
"""

import base64
import hashlib
import json
import math
import struct
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from PIL import Image

from recognize_sdk.face import protect as face_protect
from recognize_sdk.face.align import align_face
from recognize_sdk.proof import content_digest, device_request_message, proof_message

VECTORS_DIR = Path(__file__).resolve().parent
TENANT_ID = "0b6f1c2e-8d1a-4f4e-9a53-3c2d9e7f5a10"


def _public_key(name: str) -> ec.EllipticCurvePublicKey:
    """A P-256 public key derived from ``name`` (its private key is of no use to anyone)."""
    scalar = int.from_bytes(hashlib.sha256(name.encode()).digest(), "big") % (2**255)
    return ec.derive_private_key(scalar, ec.SECP256R1()).public_key()


def _spki(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


PUBLIC_KEY = base64.b64encode(_spki(_public_key("vector device"))).decode()

DEVICE_REQUESTS = [
    ("unbind", "device.remove", {"publicKey": PUBLIC_KEY, "challengeId": "n0nce-A_b"}),
    ("poll has no fields", "push.poll", {}),
    (
        "web push registration",
        "push.register",
        {
            "channel": "WEB_PUSH",
            "registration": {
                "endpoint": "https://fcm.googleapis.com/fcm/send/abc:DEF?x=1&y=2",
                "keys": {"p256dh": "BOr-8aQ_x", "auth": "k3Y/+w=="},
                "expirationTime": None,
            },
            "publicKey": PUBLIC_KEY,
            "challengeId": "nonce-2",
        },
    ),
    (
        "signature is left out",
        "push.remove",
        {"publicKey": PUBLIC_KEY, "challengeId": "nonce-3", "signature": "c2lnbmF0dXJl"},
    ),
    (
        "strings: escapes, non-ASCII, code point order of keys",
        "push.register",
        {
            "name": 'Zoë "quoted" \\ slash / \n\t\r\b\f \u0001\u001f \u007f € 😀 \u2028',
            "ключ": "значение",
            "\ue000": "private use sorts before astral",
            "😀": "astral sorts last",
            "Z": "upper before lower",
            "a": [True, False, None, "", [], {}],
        },
    ),
    (
        "numbers as the server reads them back",
        "push.register",
        {
            "int": 42,
            "negative": -7,
            "zero": 0,
            "large int": 9007199254740991,
            "half": 0.5,
            "fixed": 123456.789,
            "small": 0.0001,
            "smaller": 1e-05,
            "tiny": -1.5e-07,
            "below 1e16": 1234567890123.25,
            "exponent": 1.2345e100,
            "1e21": 1e21,
            "nested": {"b": [0.1, 2, -0.25], "a": 3.0e-10},
        },
    ),
]


def _device_request_vectors() -> list[dict]:
    cases = []
    for index, (name, purpose, fields) in enumerate(DEVICE_REQUESTS):
        challenge_id = fields.get("challengeId") or f"nonce-{index}"
        content = json.dumps(
            {key: value for key, value in fields.items() if key != "signature"},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        cases.append(
            {
                "name": name,
                "purpose": purpose,
                "tenantId": TENANT_ID,
                "challengeId": challenge_id,
                "fields": fields,
                "content": content,
                "digest": content_digest(content.encode()),
                "message": device_request_message(
                    purpose=purpose, tenant_id=TENANT_ID, challenge_id=challenge_id, fields=fields
                ),
            }
        )
    return cases


def _proof_vectors() -> list[dict]:
    """Content proofs: a protected template's float32 bytes, a seed, nothing."""
    template = struct.pack("<4f", 0.5, -0.25, 1e-3, 0.125)
    seed = hashlib.sha256(b"recognize test seed").digest()
    cases = []
    for name, content in (("float32 template", template), ("seed", seed), ("empty", b"")):
        cases.append(
            {
                "name": name,
                "challengeId": f"challenge-{name.replace(' ', '-')}",
                "content": base64.b64encode(content).decode(),
                "message": proof_message(f"challenge-{name.replace(' ', '-')}", content),
            }
        )
    return cases


def _integer(seed: str, *, leading_zero_bytes: int = 0, high_bit: bool | None = None) -> int:
    raw = bytearray(hashlib.sha256(seed.encode()).digest())
    raw[:leading_zero_bytes] = bytes(leading_zero_bytes)
    if high_bit is not None and leading_zero_bytes == 0:
        raw[0] = raw[0] | 0x80 if high_bit else raw[0] & 0x7F
    return int.from_bytes(raw, "big")


def _signature_vectors() -> list[dict]:
    """WebCrypto's raw r‖s and the DER the server and the other SDKs use."""
    shapes = [
        ("both high bit", dict(high_bit=True), dict(high_bit=True)),
        ("neither high bit", dict(high_bit=False), dict(high_bit=False)),
        ("r starts with 0x30", None, dict(high_bit=False)),
        ("r has a leading zero byte", dict(leading_zero_bytes=1), dict(high_bit=True)),
        ("s has two leading zero bytes", dict(high_bit=False), dict(leading_zero_bytes=2)),
    ]
    cases = []
    for name, r_shape, s_shape in shapes:
        if r_shape is None:
            r = int.from_bytes(b"\x30" + hashlib.sha256(name.encode()).digest()[1:], "big")
        else:
            r = _integer(f"{name} r", **r_shape)
        s = _integer(f"{name} s", **s_shape)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        cases.append(
            {
                "name": name,
                "raw": base64.b64encode(raw).decode(),
                "der": base64.b64encode(encode_dss_signature(r, s)).decode(),
            }
        )
    return cases


def _public_key_vectors() -> list[dict]:
    """P-256 public keys as JWK coordinates and as the base64 SPKI the API takes."""
    cases = []
    for name in ("key one", "key two"):
        public = _public_key(name)
        numbers = public.public_numbers()
        der = _spki(public)
        cases.append(
            {
                "name": name,
                "jwk": {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": base64.urlsafe_b64encode(numbers.x.to_bytes(32, "big"))
                    .rstrip(b"=")
                    .decode(),
                    "y": base64.urlsafe_b64encode(numbers.y.to_bytes(32, "big"))
                    .rstrip(b"=")
                    .decode(),
                },
                "spki": base64.b64encode(der).decode(),
            }
        )
    return cases


def _face_protection_vectors() -> list[dict]:
    """Seeds → SHAKE-256 expansion, rotation matrix entries and the protected template of a
    fixed embedding (``recognize_sdk/face/protect.py``)."""
    cases = []
    seeds = [("counting seed", bytes(range(32))), ("hashed seed", hashlib.sha256(b"2").digest())]
    for (name, seed), dim in zip(seeds * 2, (128, 128, 4, 16), strict=True):
        info = b"dim=" + str(dim).encode()
        rotation = face_protect.rotation_from_seed(seed, dim)
        embedding = [math.sin(1.0 + 0.37 * i) for i in range(dim)]
        cases.append(
            {
                "name": f"{name}, {dim}-d",
                "seed": base64.b64encode(seed).decode(),
                "dim": dim,
                "expanded": face_protect._expand(seed, 64, info).hex(),
                "rotationFirstRow": [float(x) for x in rotation[0, :8]],
                "rotationLastRow": [float(x) for x in rotation[-1, -8:]],
                "rotationDiagonal": [float(x) for x in rotation.diagonal()[:8]],
                "embedding": embedding,
                "protected": [float(x) for x in face_protect.protect(embedding, seed)],
            }
        )
    return cases


def synthetic_image(width: int, height: int) -> np.ndarray:
    """An RGB test pattern both languages can draw: ``(7x + 3y + 50c + xy) mod 256``."""
    y, x, c = np.mgrid[0:height, 0:width, 0:3]
    return ((7 * x + 3 * y + 50 * c + x * y) % 256).astype(np.uint8)


def _alignment_vectors() -> list[dict]:
    """Chips ``align_face`` cuts from the synthetic pattern: a face smaller than the chip, and
    one large enough that the region is box-averaged first (factor 4), both tilted."""
    cases = []
    for name, width, height, landmarks in (
        (
            "small tilted face",
            160,
            140,
            [[60.2, 50.7], [101.9, 56.3], [78.4, 80.1], [62.3, 104.8], [95.6, 109.2]],
        ),
        (
            "large face, reduced by 4",
            720,
            650,
            [[250.5, 240.25], [470.75, 270.5], [350.1, 380.9], [255.3, 500.2], [440.8, 520.6]],
        ),
    ):
        image = Image.fromarray(synthetic_image(width, height))
        chip = align_face(image, np.array(landmarks))
        cases.append(
            {
                "name": name,
                "width": width,
                "height": height,
                "landmarks": landmarks,
                "chipSha256": hashlib.sha256(chip.tobytes()).hexdigest(),
                "chipFirstPixels": chip.reshape(-1)[:12].tolist(),
            }
        )
    return cases


def vectors() -> dict[str, object]:
    """Every vector file's name and content."""
    return {
        "device_requests.json": _device_request_vectors(),
        "proofs.json": _proof_vectors(),
        "signatures.json": _signature_vectors(),
        "public_keys.json": _public_key_vectors(),
        "face_protection.json": _face_protection_vectors(),
        "face_alignment.json": _alignment_vectors(),
    }


def render(content: object) -> str:
    """The text of a vector file (stable, readable, UTF-8)."""
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    for name, content in vectors().items():
        (VECTORS_DIR / name).write_text(render(content), encoding="utf-8")


if __name__ == "__main__":
    main()
