"""Device signatures in every encoding the SDKs send: DER, and WebCrypto's raw r‖s."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devices.keys import signature_is_valid

MESSAGE = "challenge-id.digest"


def _signature(key: ec.EllipticCurvePrivateKey, *, raw_starts_with_0x30: bool) -> tuple[str, str]:
    """A signature of MESSAGE as (DER, raw r‖s), both base64, whose raw form starts (or not)
    with the byte DER signatures start with."""
    while True:
        der = key.sign(MESSAGE.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if (raw[0] == 0x30) == raw_starts_with_0x30:
            return base64.b64encode(der).decode(), base64.b64encode(raw).decode()


@pytest.mark.parametrize("raw_starts_with_0x30", [False, True])
def test_der_and_raw_signatures_are_accepted(raw_starts_with_0x30):
    key = ec.generate_private_key(ec.SECP256R1())
    der, raw = _signature(key, raw_starts_with_0x30=raw_starts_with_0x30)
    assert signature_is_valid(key.public_key(), der, MESSAGE)
    assert signature_is_valid(key.public_key(), raw, MESSAGE)
    assert not signature_is_valid(key.public_key(), raw, MESSAGE + "x")
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not signature_is_valid(other, raw, MESSAGE)


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(bytes(81)).decode()])
def test_malformed_signatures_are_refused(signature):
    key = ec.generate_private_key(ec.SECP256R1())
    assert not signature_is_valid(key.public_key(), signature, MESSAGE)
