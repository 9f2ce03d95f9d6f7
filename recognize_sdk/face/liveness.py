"""Passive liveness score from one aligned face chip (optional, experimental signal).

Two small CNNs shipped by ``@vladmandic/human@3.3.6`` and converted to ONNX by
:mod:`recognize_sdk.face.convert_tfjs_graph`: ``antispoof`` (128x128 input, sigmoid "real"
probability; trained on a public fake-face dataset) and ``liveness`` (32x32 input, softmax
whose first class is "live", as human reads it). Both take RGB in 0..1 of a square face crop;
the 150x150 alignment chip is resized to each input. The score is the mean of the two
probabilities. Their accuracy against real presentation attacks (prints, screens, masks) is
unknown: use the score as one signal, never as the only defence.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from recognize_sdk.face.models import ANTISPOOF, LIVENESS
from recognize_sdk.face.runtime import get_session

ANTISPOOF_SIZE = 128
LIVENESS_SIZE = 32
LIVENESS_THRESHOLD = 0.5


def _model_input(chip: Image.Image, size: int) -> np.ndarray:
    resized = chip.resize((size, size), Image.Resampling.BILINEAR)
    return (np.asarray(resized, dtype=np.float32) / 255.0)[None]


def liveness_scores(chip: np.ndarray) -> dict[str, float]:
    """Each model's probability that the face in an aligned RGB uint8 chip is live."""
    image = Image.fromarray(np.asarray(chip, dtype=np.uint8), "RGB")
    antispoof = get_session(ANTISPOOF).run(None, {"input": _model_input(image, ANTISPOOF_SIZE)})
    liveness = get_session(LIVENESS).run(None, {"input": _model_input(image, LIVENESS_SIZE)})
    return {"antispoof": float(antispoof[0][0, 0]), "liveness": float(liveness[0][0, 0])}


def liveness_score(chip: np.ndarray) -> float:
    """Probability-like score in [0, 1] that the face in an aligned chip is live (mean of both)."""
    scores = liveness_scores(chip)
    return (scores["antispoof"] + scores["liveness"]) / 2
