"""Quality measures and minimums."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recognize_sdk.face.align import chip_template
from recognize_sdk.face.errors import FaceTooSmallError, LowQualityError
from recognize_sdk.face.quality import (
    MAX_ABS_YAW_DEG,
    MIN_INTEROCULAR_PX,
    MIN_SHARPNESS,
    check_quality,
    head_pose,
    laplacian_variance,
)

GOOD = {
    "interocular_px": 80.0,
    "sharpness": 300.0,
    "yaw_deg": 5.0,
    "roll_deg": 2.0,
    "detection_score": 0.99,
}


def rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    t = math.radians(degrees)
    matrix = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return points @ matrix.T


def test_frontal_template_has_no_yaw_or_roll():
    yaw, roll = head_pose(chip_template())

    assert yaw == pytest.approx(0.0, abs=0.1)
    assert roll == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize("roll_deg", [-30.0, 0.0, 25.0])
@pytest.mark.parametrize("nose_shift", [-10.0, 10.0])
def test_yaw_follows_the_nose_and_ignores_roll(roll_deg, nose_shift):
    landmarks = chip_template().copy()
    landmarks[2, 0] += nose_shift

    yaw, roll = head_pose(rotate(landmarks, roll_deg))

    assert roll == pytest.approx(roll_deg, abs=0.01)
    assert math.copysign(1, yaw) == math.copysign(1, nose_shift)
    assert abs(yaw) == pytest.approx(math.degrees(math.atan(10 / 26.46 / 0.9)), abs=0.1)


def test_sharpness_of_flat_and_textured_chips():
    flat = np.full((150, 150, 3), 128, dtype=np.uint8)
    texture = np.random.default_rng(0).integers(0, 256, (150, 150, 3)).astype(np.uint8)

    assert laplacian_variance(flat) == 0.0
    assert laplacian_variance(texture) > 1000


def test_good_quality_passes():
    check_quality(GOOD)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"interocular_px": MIN_INTEROCULAR_PX - 1}, FaceTooSmallError),
        ({"sharpness": MIN_SHARPNESS - 1}, LowQualityError),
        ({"yaw_deg": MAX_ABS_YAW_DEG + 1}, LowQualityError),
        ({"yaw_deg": -MAX_ABS_YAW_DEG - 1}, LowQualityError),
    ],
)
def test_each_minimum_is_enforced(change, error):
    with pytest.raises(error) as excinfo:
        check_quality({**GOOD, **change})

    assert excinfo.value.code in ("face_too_small", "low_quality")
