"""Item 10 of the security audit: every valid P-256 signature is accepted, DER or raw r‖s.

About 1 raw signature in 256 has an r whose first byte is 0x30, the DER SEQUENCE tag; a format
guess by first byte rejected those. The property: any signature the key really made verifies,
in either encoding, and a signature of another message does not.
"""

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devices.keys import signature_is_valid

SIGNATURES = 10_000


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_item10_every_valid_der_and_raw_signature_is_accepted():
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    der_like_raw = 0
    for index in range(SIGNATURES):
        message = f"{index}:{os.urandom(8).hex()}"
        der = key.sign(message.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        der_like_raw += raw[0] == 0x30
        assert signature_is_valid(public, _b64(der), message), (index, der.hex())
        assert signature_is_valid(public, _b64(raw), message), (index, raw.hex())
        if index % 100 == 0:  # and the check still refuses what the key did not sign
            assert not signature_is_valid(public, _b64(raw), message + "x")
            assert not signature_is_valid(public, _b64(der), message + "x")
    assert der_like_raw > 0  # the case the old check got wrong was exercised


def test_item10_malformed_signatures_are_refused_not_errors():
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    for signature in ["", "!!!", _b64(b"\x30"), _b64(bytes(64)), _b64(b"\x30" * 72), "A" * 400]:
        assert signature_is_valid(key, signature, "m") is False
