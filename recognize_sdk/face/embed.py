"""128-d face embeddings from aligned chips (dlib ResNet converted to ONNX)."""

from __future__ import annotations

import numpy as np

from recognize_sdk.face.align import CHIP_SIZE
from recognize_sdk.face.models import FACE_RECOGNITION
from recognize_sdk.face.runtime import get_session

EMBEDDING_DIM = 128


def raw_descriptors(chips: np.ndarray) -> np.ndarray:
    """The network's raw (unnormalised) descriptors ``[N, 128]`` for RGB chips ``[N, 150, 150, 3]``.

    This is exactly face-api's ``computeFaceDescriptor`` on a 150x150 input.
    """
    batch = np.asarray(chips, dtype=np.float32)
    if batch.ndim != 4 or batch.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
        raise ValueError(f"expected chips of shape [N, {CHIP_SIZE}, {CHIP_SIZE}, 3]")
    session = get_session(FACE_RECOGNITION)
    return session.run(None, {"image": batch})[0]


def embed_batch(chips: np.ndarray) -> np.ndarray:
    """L2-normalised float32 embeddings ``[N, 128]`` for aligned RGB chips ``[N, 150, 150, 3]``."""
    raw = raw_descriptors(chips).astype(np.float64)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    return (raw / np.maximum(norms, 1e-12)).astype(np.float32)


def embed(chip: np.ndarray) -> np.ndarray:
    """L2-normalised float32 embedding ``[128]`` of one aligned RGB chip ``[150, 150, 3]``."""
    return embed_batch(np.asarray(chip)[None])[0]
