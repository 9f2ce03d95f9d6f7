"""Five-point alignment to dlib's 150x150 face chip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from recognize_sdk.face.align import align_face, chip_template, similarity_transform


def test_template_matches_dlib_chip_geometry():
    template = chip_template()

    left_eye, right_eye, nose, mouth_left, mouth_right = template
    # dlib mean-face eye centroids at x = 0.2255 / 0.7548, y = 0.2160, placed with padding 0.25.
    np.testing.assert_allclose(left_eye, [(0.25 + 0.2254918) * 100 + 0.5, 47.099], atol=1e-3)
    np.testing.assert_allclose(right_eye, [(0.25 + 0.7547613) * 100 + 0.5, 47.099], atol=1e-3)
    assert right_eye[0] - left_eye[0] == pytest.approx(52.93, abs=0.01)
    assert nose[0] == pytest.approx((left_eye[0] + right_eye[0]) / 2, abs=1e-3)
    assert mouth_left[1] == mouth_right[1] > nose[1] > left_eye[1]


@pytest.mark.parametrize(("scale", "angle_deg"), [(0.5, 0.0), (1.7, 20.0), (6.3, -35.0)])
def test_similarity_transform_recovers_a_known_transform(scale, angle_deg):
    a = scale * math.cos(math.radians(angle_deg))
    b = scale * math.sin(math.radians(angle_deg))
    expected = np.array([[a, -b, 40.0], [b, a, -7.5]])
    src = chip_template()
    dst = np.column_stack([src, np.ones(len(src))]) @ expected.T

    np.testing.assert_allclose(similarity_transform(src, dst), expected, atol=1e-9)


@pytest.mark.parametrize(("scale", "angle_deg"), [(0.8, 10.0), (2.5, -25.0), (7.0, 5.0)])
def test_landmarks_land_on_the_template(scale, angle_deg):
    """Dots drawn at known landmark positions end up at the template positions in the chip."""
    a = scale * math.cos(math.radians(angle_deg))
    b = scale * math.sin(math.radians(angle_deg))
    to_image = np.array([[a, -b, 300.0], [b, a, 200.0]])
    template = chip_template()
    landmarks = np.column_stack([template, np.ones(5)]) @ to_image.T
    pixels = np.full((1600, 1600, 3), 128, dtype=np.uint8)
    rows, cols = np.mgrid[0:1600, 0:1600]
    radius = max(4.0, 2.5 * scale)
    for x, y in landmarks:
        pixels[(cols + 0.5 - x) ** 2 + (rows + 0.5 - y) ** 2 <= radius**2] = (255, 0, 0)

    chip = align_face(Image.fromarray(pixels), landmarks).astype(float)

    assert chip.shape == (150, 150, 3)
    redness = np.clip(chip[..., 0] - chip[..., 1], 0, None)
    for x, y in template:
        ys, xs = np.mgrid[0:150, 0:150]
        near = (xs + 0.5 - x) ** 2 + (ys + 0.5 - y) ** 2 <= 8**2
        weights = redness * near
        centre = np.array([(weights * (xs + 0.5)).sum(), (weights * (ys + 0.5)).sum()])
        np.testing.assert_allclose(centre / weights.sum(), [x, y], atol=0.3)
