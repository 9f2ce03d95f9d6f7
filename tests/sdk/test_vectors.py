"""The shared test vectors (``tests/vectors``) against the Python reference SDK.

The web client's ``node --test`` suite checks the same files, so a change to what a device
signs that is not made in both implementations fails one of the two.
"""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devices.keys import public_key_parse
from recognize_sdk.proof import (
    content_digest,
    device_request_message,
    proof_message,
    request_content,
)
from tests.vectors import generate


def _load(name: str) -> list[dict]:
    return json.loads((generate.VECTORS_DIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name, content", generate.vectors().items())
def test_committed_vectors_are_what_the_generator_writes(name, content):
    committed = (generate.VECTORS_DIR / name).read_text(encoding="utf-8")
    assert committed == generate.render(content), f"run python -m tests.vectors.generate ({name})"


@pytest.mark.parametrize("case", _load("device_requests.json"), ids=lambda case: case["name"])
def test_device_request_message(case):
    fields = case["fields"]
    assert request_content(fields).decode() == case["content"]
    assert content_digest(request_content(fields)) == case["digest"]
    assert (
        device_request_message(
            purpose=case["purpose"],
            tenant_id=case["tenantId"],
            challenge_id=case["challengeId"],
            fields=fields,
        )
        == case["message"]
    )


@pytest.mark.parametrize("case", _load("device_requests.json"), ids=lambda case: case["name"])
def test_the_message_survives_the_trip_through_a_request_body(case):
    """The server signs what it parsed from the body, not what the device held."""
    parsed = json.loads(json.dumps(case["fields"]))
    assert request_content(parsed).decode() == case["content"]


@pytest.mark.parametrize("case", _load("proofs.json"), ids=lambda case: case["name"])
def test_proof_message(case):
    content = base64.b64decode(case["content"])
    assert proof_message(case["challengeId"], content) == case["message"]


@pytest.mark.parametrize("case", _load("signatures.json"), ids=lambda case: case["name"])
def test_raw_and_der_signatures_name_the_same_integers(case):
    raw = base64.b64decode(case["raw"])
    r, s = decode_dss_signature(base64.b64decode(case["der"]))
    assert (r, s) == (int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


@pytest.mark.parametrize("case", _load("public_keys.json"), ids=lambda case: case["name"])
def test_public_key_is_the_spki_the_server_stores(case):
    assert public_key_parse(case["spki"]).spki_b64 == case["spki"]
