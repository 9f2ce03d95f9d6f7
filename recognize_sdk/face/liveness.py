"""Passive liveness scores of one detected face, computed as ``@vladmandic/human`` computes them.

Two small CNNs shipped by ``@vladmandic/human@3.3.6`` and converted to ONNX by
:mod:`recognize_sdk.face.convert_tfjs_graph`: ``antispoof`` (128x128 input, sigmoid "real"
probability) and ``liveness`` (32x32 input, softmax whose first class is "live"). Both take RGB
in 0..1. Their input is what human gives them (``src/face/facemesh.ts``, ``blazeface.ts``,
``facemeshutil.ts``, ``antispoof.ts``, ``liveness.ts``): the detector's face box enlarged 1.4
times about its centre, made square, cut out of the upright image (no rotation) and resized to
the 192x192 face-mesh input, then bilinearly to each model's size. Earlier versions fed the
150x150 alignment chip, a tighter, rotated crop the models never saw in training.

A face passes when each score reaches its threshold. The thresholds are calibrated by
``manage.py evaluate_faces --pad`` for a bona fide presentation classification error rate
(BPCER) <= 3 % on the dev photos and their degraded captures (docs/face-evaluation.md). On that
evaluation these models barely tell simulated prints, screens and cut-outs from genuine
captures: treat them as a weak signal, never as the only defence.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from recognize_sdk.face.models import ANTISPOOF, LIVENESS
from recognize_sdk.face.runtime import get_session

ANTISPOOF_SIZE = 128
LIVENESS_SIZE = 32
#: human's face crop: the detector box times ``detector.scale`` (1.4), squared, at 192 px.
CROP_SCALE = 1.4
CROP_SIZE = 192
#: Calibrated by ``evaluate_faces --pad``: BPCER <= 3 % on the dev photos and their degraded
#: captures with both checks applied (docs/face-evaluation.md).
ANTISPOOF_THRESHOLD = 0.24
LIVENESS_THRESHOLD = 0.43


def face_crop(image: Image.Image, box: np.ndarray) -> Image.Image:
    """The square face crop human gives its face models: ``box`` x 1.4 about its centre."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = CROP_SCALE * max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    # Outside the image is black, as tf.image.cropAndResize extrapolates with zeros.
    square = image.crop((left, top, left + round(side), top + round(side)))
    return square.resize((CROP_SIZE, CROP_SIZE), Image.Resampling.BILINEAR)


def _model_input(crop: Image.Image, size: int) -> np.ndarray:
    resized = crop.resize((size, size), Image.Resampling.BILINEAR)
    return (np.asarray(resized, dtype=np.float32) / 255.0)[None]


def liveness_scores(image: Image.Image, box: np.ndarray) -> dict[str, float]:
    """Each model's probability that the face at ``box`` in the RGB ``image`` is live."""
    crop = face_crop(image, box)
    antispoof = get_session(ANTISPOOF).run(None, {"input": _model_input(crop, ANTISPOOF_SIZE)})
    liveness = get_session(LIVENESS).run(None, {"input": _model_input(crop, LIVENESS_SIZE)})
    return {"antispoof": float(antispoof[0][0, 0]), "liveness": float(liveness[0][0, 0])}


def scores_pass(
    scores: dict[str, float],
    *,
    antispoof_threshold: float | None = None,
    liveness_threshold: float | None = None,
) -> bool:
    """Whether both scores reach their thresholds (the calibrated ones unless given)."""
    antispoof_limit = ANTISPOOF_THRESHOLD if antispoof_threshold is None else antispoof_threshold
    liveness_limit = LIVENESS_THRESHOLD if liveness_threshold is None else liveness_threshold
    return scores["antispoof"] >= antispoof_limit and scores["liveness"] >= liveness_limit


def liveness_score(image: Image.Image, box: np.ndarray) -> float:
    """Probability-like score in [0, 1] that the face is live: the lower of the two models'."""
    scores = liveness_scores(image, box)
    return min(scores["antispoof"], scores["liveness"])
