"""The face pipeline's entry point: photo bytes in, one embedding plus quality out.

decode (JPEGs over ``DECODE_MIN_LONG_SIDE`` at a reduced DCT scale) -> find the one face
(MTCNN on a downscaled copy, landmarks re-read at the decoded resolution; when nothing is
found, once more on a copy with a grey border, for faces that fill the frame)
-> minimum face size -> 5-point alignment to the 150x150 chip -> quality minimums ->
optional passive liveness (on human's face crop of the upright image) -> 128-d L2-normalised
embedding. Nothing is written anywhere: the image and the chip live only in memory for the
duration of the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from recognize_sdk.face import liveness as passive_liveness
from recognize_sdk.face.align import align_face
from recognize_sdk.face.decode import decode_image
from recognize_sdk.face.detect import locate_single_face
from recognize_sdk.face.embed import embed
from recognize_sdk.face.errors import LivenessFailedError
from recognize_sdk.face.quality import check_face_size, check_quality, measure_quality

LIVENESS_OFF = "OFF"
LIVENESS_REPORT = "REPORT"
LIVENESS_ENFORCE = "ENFORCE"
LIVENESS_LEVELS = (LIVENESS_OFF, LIVENESS_REPORT, LIVENESS_ENFORCE)

# Photos of 4000 px and more (12-megapixel phone cameras) are decoded at half size or less: a
# face too small to keep 30 px between the eyes there covers under 3 % of the frame, far from
# an enrolment or ID photo, and a 12-MP decode costs ~4x the rest of the pipeline.
DECODE_MIN_LONG_SIDE = 2000


@dataclass(frozen=True)
class FaceResult:
    """One analysed face.

    ``embedding``: float32 ``[128]``, unit L2 norm (biometric data: protect it before storing,
    see :mod:`recognize_sdk.face.protect`). ``quality``: the measures of
    :func:`recognize_sdk.face.quality.measure_quality`. ``liveness_score``: probability-like
    score in [0, 1] that the face is live (the lower of the two models'), and
    ``liveness_scores`` each model's (``antispoof``, ``liveness``); both None when liveness was
    ``OFF``.
    """

    embedding: np.ndarray = field(repr=False)
    quality: dict[str, float]
    liveness_score: float | None
    liveness_scores: dict[str, float] | None = None


def _liveness_level(level: str) -> str:
    normalised = level.upper()
    if normalised not in LIVENESS_LEVELS:
        raise ValueError(f"liveness must be one of {', '.join(LIVENESS_LEVELS)}")
    return normalised


def analyze_image(image: Image.Image, *, liveness: str = LIVENESS_OFF) -> FaceResult:
    """Analyse an already decoded, upright RGB image (see :func:`analyze_face`)."""
    level = _liveness_level(liveness)
    if image.mode != "RGB":
        image = image.convert("RGB")
    image, face = locate_single_face(image)
    check_face_size(float(np.hypot(*(face.landmarks[1] - face.landmarks[0]))))
    chip = align_face(image, face.landmarks)
    quality = measure_quality(face.landmarks, chip, face.score)
    check_quality(quality)
    scores = None
    if level != LIVENESS_OFF:
        scores = passive_liveness.liveness_scores(image, face.box)
        if level == LIVENESS_ENFORCE and not passive_liveness.scores_pass(scores):
            raise LivenessFailedError(
                "the photo looks like a picture of a screen or a print; take a live selfie"
            )
    return FaceResult(
        embedding=embed(chip),
        quality=quality,
        liveness_score=None if scores is None else min(scores.values()),
        liveness_scores=scores,
    )


def analyze_face(data: bytes, *, liveness: str = LIVENESS_OFF) -> FaceResult:
    """Decode a photo and return the embedding and quality of its single face.

    ``liveness``: ``"OFF"`` (not computed), ``"REPORT"`` (computed and returned) or
    ``"ENFORCE"`` (computed; a score below its calibrated threshold raises
    ``LivenessFailedError``).
    Raises a ``FaceError`` subclass for every photo that cannot give one usable face:
    ``not_an_image``, ``image_too_large``, ``no_face``, ``multiple_faces``, ``face_too_small``,
    ``low_quality``, ``liveness_failed``.
    """
    level = _liveness_level(liveness)
    return analyze_image(decode_image(data, min_long_side=DECODE_MIN_LONG_SIDE), liveness=level)
