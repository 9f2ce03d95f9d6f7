"""Degraded captures for the evaluation: reproducible, the same face, and as described."""

import io

import pytest
from PIL import Image

from biometrics.capture_variants import VARIANTS, capture_variant
from recognize_sdk.face import analyze_face, cosine
from recognize_sdk.face.decode import decode_image
from recognize_sdk.face.detect import find_single_face
from tests.support import FACES_DIR

PHOTO = "id01/img2.jpg"


@pytest.fixture(scope="module")
def photo():
    data = (FACES_DIR / "dev" / PHOTO).read_bytes()
    image = decode_image(data)
    return image, find_single_face(image), analyze_face(data).embedding


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_is_the_same_face_made_reproducibly(photo, variant):
    image, face, embedding = photo

    data = capture_variant(variant, image, face.box, face.landmarks, key=PHOTO)

    assert data == capture_variant(variant, image, face.box, face.landmarks, key=PHOTO)
    assert cosine(analyze_face(data).embedding, embedding) > 0.85


def test_still_is_a_small_grayscale_frame_with_a_usable_face(photo):
    image, face, _ = photo

    data = capture_variant("still_150_gray", image, face.box, face.landmarks, key=PHOTO)

    with Image.open(io.BytesIO(data)) as still:
        assert (still.size, still.mode) == ((150, 150), "L")
    assert 30 <= analyze_face(data).quality["interocular_px"] <= 45
