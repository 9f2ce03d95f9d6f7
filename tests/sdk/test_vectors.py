"""The shared test vectors (``tests/vectors``) against the Python reference SDK.

The web client's ``node --test`` suite checks the same files, so a change to what a device
signs that is not made in both implementations fails one of the two.
"""

import base64
import hashlib
import json
import math

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from PIL import Image

from devices.keys import public_key_parse
from recognize_sdk.face import protect as face_protect
from recognize_sdk.face.align import align_face
from recognize_sdk.proof import (
    content_digest,
    device_request_message,
    proof_message,
    request_content,
)
from tests.vectors import generate


def _load(name: str) -> list[dict]:
    return json.loads((generate.VECTORS_DIR / name).read_text(encoding="utf-8"))


def _same(committed, written) -> bool:
    """Equal, floats within 1e-12: LAPACK and libm may round the last bit differently on
    another machine, which is not drift."""
    if isinstance(committed, float) or isinstance(written, float):
        return math.isclose(committed, written, rel_tol=0, abs_tol=1e-12)
    if isinstance(committed, list) and isinstance(written, list):
        return len(committed) == len(written) and all(map(_same, committed, written))
    if isinstance(committed, dict) and isinstance(written, dict):
        return committed.keys() == written.keys() and all(
            _same(committed[key], written[key]) for key in committed
        )
    return committed == written


@pytest.mark.parametrize("name, content", generate.vectors().items())
def test_committed_vectors_are_what_the_generator_writes(name, content):
    committed = json.loads((generate.VECTORS_DIR / name).read_text(encoding="utf-8"))
    assert _same(committed, json.loads(generate.render(content))), (
        f"run python -m tests.vectors.generate ({name})"
    )


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


@pytest.mark.parametrize("case", _load("face_protection.json"), ids=lambda case: case["name"])
def test_face_protection(case):
    seed, dim = base64.b64decode(case["seed"]), case["dim"]
    rotation = face_protect.rotation_from_seed(seed, dim)
    assert face_protect._expand(seed, 64, f"dim={dim}".encode()).hex() == case["expanded"]
    assert rotation[0, :8].tolist() == pytest.approx(case["rotationFirstRow"], abs=1e-12)
    assert rotation[-1, -8:].tolist() == pytest.approx(case["rotationLastRow"], abs=1e-12)
    protected = face_protect.protect(case["embedding"], seed)
    assert protected.tolist() == pytest.approx(case["protected"], abs=1e-6)


@pytest.mark.parametrize("case", _load("face_alignment.json"), ids=lambda case: case["name"])
def test_face_alignment(case):
    image = Image.fromarray(generate.synthetic_image(case["width"], case["height"]))
    chip = align_face(image, np.array(case["landmarks"]))
    assert hashlib.sha256(chip.tobytes()).hexdigest() == case["chipSha256"]
