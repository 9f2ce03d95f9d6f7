"""Passive liveness: the face crop human gives its models, and the two-score decision."""

import numpy as np
import pytest
from PIL import Image

from recognize_sdk.face import analyze_face, liveness


def test_face_crop_is_the_box_enlarged_1_4_times_and_square():
    pixels = np.zeros((400, 400, 3), dtype=np.uint8)
    pixels[150:250, 170:230] = 255  # a 60 x 100 white "face"
    image = Image.fromarray(pixels)

    crop = np.asarray(liveness.face_crop(image, np.array([170, 150, 230, 250])))

    assert crop.shape == (192, 192, 3)
    white_rows = np.flatnonzero(crop[:, 96, 0] > 127)
    white_cols = np.flatnonzero(crop[96, :, 0] > 127)
    # The box's height (100 px) is 1/1.4 of the square side: ~137 of 192 px, centred.
    assert 134 <= len(white_rows) <= 140 and abs(white_rows.mean() - 95.5) < 1.5
    assert 80 <= len(white_cols) <= 85 and abs(white_cols.mean() - 95.5) < 1.5


def test_outside_the_photo_is_black():
    image = Image.new("RGB", (100, 100), (200, 200, 200))

    crop = np.asarray(liveness.face_crop(image, np.array([0, 0, 100, 100])))

    assert crop[0, 0].tolist() == [0, 0, 0] and crop[96, 96].tolist() == [200, 200, 200]


@pytest.mark.parametrize(
    ("scores", "passes"),
    [
        ({"antispoof": 0.9, "liveness": 0.9}, True),
        ({"antispoof": 0.1, "liveness": 0.99}, False),
        ({"antispoof": 0.9, "liveness": 0.1}, False),
    ],
)
def test_both_scores_must_reach_their_thresholds(scores, passes):
    assert liveness.scores_pass(scores) is passes


def test_a_live_photo_passes_enforce_and_reports_both_scores(models, read_photo):
    result = analyze_face(read_photo("dev/id01/img2.jpg"), liveness="ENFORCE")

    assert set(result.liveness_scores) == {"antispoof", "liveness"}
    assert result.liveness_scores["antispoof"] >= liveness.ANTISPOOF_THRESHOLD
    assert result.liveness_scores["liveness"] >= liveness.LIVENESS_THRESHOLD
    assert result.liveness_score == min(result.liveness_scores.values())
