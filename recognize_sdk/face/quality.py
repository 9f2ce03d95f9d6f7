"""Face quality measures and the minimums a face must meet before it is embedded.

- ``interocular_px``: distance between the eye centres in the decoded image, in pixels. The
  150x150 chip places the eyes about 53 px apart, so below ``MIN_INTEROCULAR_PX`` the chip is
  mostly interpolated detail (ISO/IEC 19794-5 asks for 60 px or more in enrolment photos; we are
  lenient so ordinary selfies and ID photos pass).
- ``sharpness``: variance of the Laplacian of the aligned chip's luma (0..255 scale), over the
  central face region so the background does not count. Low values mean a blurred (motion or
  focus) or heavily upscaled face.
- ``yaw_deg``: head turn estimated from the landmarks. With roll removed, the nose tip's offset
  from the eyes' midpoint, relative to half the eye distance, is ``(D / E) * tan(yaw)`` for a
  head whose nose tip stands ``D`` in front of the eyes and whose eyes are ``2E`` apart
  (``D / E`` ~ 0.9 on average adult faces). Positive yaw: nose towards the image's right.
- ``roll_deg``: in-plane rotation of the eye line (reported only; alignment removes it).
- ``detection_score``: MTCNN's O-Net face probability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from recognize_sdk.face.errors import FaceTooSmallError, LowQualityError

MIN_INTEROCULAR_PX = 30.0
MIN_SHARPNESS = 20.0
MAX_ABS_YAW_DEG = 45.0
NOSE_DEPTH_RATIO = 0.9

# Central region of the 150 px chip used for the sharpness measure (eyes to mouth).
_CENTRE = slice(35, 115)


def laplacian_variance(chip: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian over the centre of an RGB uint8 chip."""
    rgb = np.asarray(chip, dtype=np.float64)
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    region = luma[_CENTRE, _CENTRE]
    lap = (
        region[:-2, 1:-1]
        + region[2:, 1:-1]
        + region[1:-1, :-2]
        + region[1:-1, 2:]
        - 4 * region[1:-1, 1:-1]
    )
    return float(lap.var())


def head_pose(landmarks: np.ndarray) -> tuple[float, float]:
    """``(yaw_deg, roll_deg)`` estimated from MTCNN's five landmarks."""
    pts = np.asarray(landmarks, dtype=np.float64)
    left_eye, right_eye, nose = pts[0], pts[1], pts[2]
    eye_vec = right_eye - left_eye
    roll = math.atan2(eye_vec[1], eye_vec[0])
    half_iod = max(float(np.hypot(*eye_vec)) / 2, 1e-6)
    cos_r, sin_r = math.cos(-roll), math.sin(-roll)
    offset = nose - (left_eye + right_eye) / 2
    offset_x = offset[0] * cos_r - offset[1] * sin_r
    yaw = math.atan((offset_x / half_iod) / NOSE_DEPTH_RATIO)
    return math.degrees(yaw), math.degrees(roll)


def measure_quality(
    landmarks: np.ndarray, chip: np.ndarray, detection_score: float
) -> dict[str, float]:
    """Quality measures of one face (see the module docstring); values are plain floats."""
    pts = np.asarray(landmarks, dtype=np.float64)
    yaw, roll = head_pose(pts)
    return {
        "interocular_px": round(float(np.hypot(*(pts[1] - pts[0]))), 2),
        "sharpness": round(laplacian_variance(chip), 2),
        "yaw_deg": round(yaw, 1),
        "roll_deg": round(roll, 1),
        "detection_score": round(float(detection_score), 4),
    }


def check_face_size(interocular_px: float) -> None:
    """Raise ``FaceTooSmallError`` when the eyes are closer than ``MIN_INTEROCULAR_PX``."""
    if interocular_px < MIN_INTEROCULAR_PX:
        raise FaceTooSmallError(
            f"the face is too small: {interocular_px:.0f} px between the eyes, at least "
            f"{MIN_INTEROCULAR_PX:.0f} px are needed; move closer or use a larger photo"
        )


def check_quality(quality: Mapping[str, float]) -> None:
    """Raise ``FaceTooSmallError`` or ``LowQualityError`` when a minimum is not met."""
    check_face_size(quality["interocular_px"])
    if abs(quality["yaw_deg"]) > MAX_ABS_YAW_DEG:
        raise LowQualityError(
            f"the face is turned too far from the camera (about {abs(quality['yaw_deg']):.0f} "
            f"degrees, at most {MAX_ABS_YAW_DEG:.0f}); look straight at the camera"
        )
    if quality["sharpness"] < MIN_SHARPNESS:
        raise LowQualityError(
            f"the face is too blurred (sharpness {quality['sharpness']:.0f}, at least "
            f"{MIN_SHARPNESS:.0f}); hold still and make sure the face is in focus"
        )
