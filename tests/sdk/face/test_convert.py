"""The ONNX conversions reproduce the real TF.js models (references: tools/face_reference)."""

from __future__ import annotations

import numpy as np
import pytest

from recognize_sdk.face import tfjs
from recognize_sdk.face.embed import embed, embed_batch, raw_descriptors
from recognize_sdk.face.models import ANTISPOOF, LIVENESS
from recognize_sdk.face.runtime import get_session

IMAGES = ("pattern", "noise", "face")
TOLERANCE = 1e-4


@pytest.mark.parametrize("name", IMAGES)
def test_face_recognition_matches_tfjs(models, tfjs_reference, synthetic, name):
    expected = np.array(tfjs_reference["descriptors"][name])

    actual = raw_descriptors(synthetic(name, 150)[None])[0]

    assert actual.shape == (128,)
    assert np.abs(actual - expected).max() <= TOLERANCE


@pytest.mark.parametrize(("model", "size"), [(ANTISPOOF, 128), (LIVENESS, 32)])
@pytest.mark.parametrize("name", IMAGES)
def test_liveness_models_match_tfjs(models, tfjs_reference, synthetic, model, size, name):
    expected = np.array(tfjs_reference["liveness"][model.removesuffix(".onnx")][name])
    pixels = (synthetic(name, size).astype(np.float64) / 255).astype(np.float32)[None]

    actual = get_session(model).run(None, {"input": pixels})[0][0]

    assert np.abs(actual - expected).max() <= TOLERANCE


def test_embeddings_are_unit_float32_and_batch_consistent(models, synthetic):
    chips = np.stack([synthetic("face", 150), synthetic("pattern", 150)])

    batch = embed_batch(chips)
    single = embed(chips[0])

    assert batch.dtype == np.float32 and batch.shape == (2, 128)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(single, batch[0], atol=1e-6)


def test_embed_rejects_wrong_chip_size(models):
    with pytest.raises(ValueError, match="150"):
        embed(np.zeros((112, 112, 3), dtype=np.uint8))


def test_decode_weights_dequantises_like_tfjs():
    specs = [
        {"name": "q", "shape": [3], "dtype": "float32",
         "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
        {"name": "f", "shape": [2], "dtype": "float32"},
    ]  # fmt: skip
    data = bytes([0, 2, 255]) + np.array([1.5, -2.25], dtype="<f4").tobytes()

    weights = tfjs.decode_weights(specs, data)

    np.testing.assert_array_equal(weights["q"], np.array([-1.0, 0.0, 126.5], dtype=np.float32))
    np.testing.assert_array_equal(weights["f"], np.array([1.5, -2.25], dtype=np.float32))


@pytest.mark.parametrize("extra", [b"", b"\x00"])
def test_decode_weights_rejects_wrong_buffer_length(extra):
    specs = [{"name": "f", "shape": [2], "dtype": "float32"}]
    data = np.zeros(2, dtype="<f4").tobytes()

    with pytest.raises(ValueError):
        tfjs.decode_weights(specs, data[:-1] if not extra else data + extra)
