"""The whole pipeline on the real photos: analyze_face and its errors."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from PIL import Image, ImageFilter

from recognize_sdk.face import (
    FaceError,
    FaceResult,
    LivenessFailedError,
    MultipleFacesError,
    NoFaceError,
    analyze_face,
)
from recognize_sdk.face import liveness as liveness_module
from recognize_sdk.face.decode import decode_image
from recognize_sdk.face.detect import find_faces, find_single_face
from recognize_sdk.face.errors import FACE_ERROR_CODES
from recognize_sdk.face.mtcnn import detect_faces
from recognize_sdk.face.protect import cosine

REFERENCE_PHOTO = "dev/id01/img2.jpg"
# These dev photos also show other people's faces at least half the size of the subject's
# (out of focus, in profile or cut by the frame): the multiple-face rule may refuse them.
OTHER_PEOPLE_VISIBLE = {"id06/img31.jpg", "id07/img59.jpg", "id07/img62.jpg"}


@pytest.fixture(scope="module")
def reference(models, read_photo) -> FaceResult:
    return analyze_face(read_photo(REFERENCE_PHOTO))


@pytest.fixture(scope="module")
def reference_image(read_photo) -> Image.Image:
    return decode_image(read_photo(REFERENCE_PHOTO))


def test_result_shape(reference):
    assert reference.embedding.shape == (128,) and reference.embedding.dtype == np.float32
    assert np.linalg.norm(reference.embedding) == pytest.approx(1.0, abs=1e-6)
    assert set(reference.quality) == {
        "interocular_px", "sharpness", "yaw_deg", "roll_deg", "detection_score",
    }  # fmt: skip
    assert reference.liveness_score is None


def test_every_dev_photo_with_one_face_is_accepted(dev_results):
    failures = {path: r.code for path, r in dev_results.items() if isinstance(r, FaceError)}

    assert set(failures) <= OTHER_PEOPLE_VISIBLE
    assert set(failures.values()) <= {"multiple_faces"}


def test_genuine_pairs_are_more_similar_than_impostor_pairs(dev_results, dev_labels):
    identity = dict(dev_labels)
    accepted = [p for p, r in dev_results.items() if isinstance(r, FaceResult)]
    genuine, impostor = [], []
    for a, b in itertools.combinations(accepted, 2):
        similarity = cosine(dev_results[a].embedding, dev_results[b].embedding)
        (genuine if identity[a] == identity[b] else impostor).append(similarity)
    genuine_arr, impostor_arr = np.array(genuine), np.array(impostor)

    auc = (genuine_arr[:, None] > impostor_arr[None, :]).mean()

    assert genuine_arr.mean() > impostor_arr.mean() + 0.05
    assert auc > 0.95


def test_landmarks_are_in_face_order(models, reference_image):
    (face,) = detect_faces(reference_image.reduce(4))
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks

    assert left_eye[0] < nose[0] < right_eye[0]
    assert mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


@pytest.mark.parametrize("photo", ["multi/couple.jpg", "multi/selfie-many-people.jpg"])
def test_several_faces_are_refused(models, read_photo, photo):
    with pytest.raises(MultipleFacesError) as excinfo:
        analyze_face(read_photo(photo))

    assert excinfo.value.code == "multiple_faces"


def test_small_background_faces_are_ignored(dev_results):
    """id04/img54 has two background faces about a quarter of the subject's size."""
    assert isinstance(dev_results["id04/img54.jpg"], FaceResult)


@pytest.mark.parametrize(
    "pixels",
    [
        pytest.param(
            np.broadcast_to(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None], (480, 640, 3)),
            id="gradient",
        ),
        pytest.param(np.full((480, 640, 3), 200, dtype=np.uint8), id="uniform"),
    ],
)
def test_no_face(models, encode, pixels):
    with pytest.raises(NoFaceError) as excinfo:
        analyze_face(encode(Image.fromarray(np.ascontiguousarray(pixels)), "PNG"))

    assert excinfo.value.code == "no_face"


@pytest.mark.parametrize(
    ("long_side", "codes"),
    [(60, {"face_too_small", "no_face"}), (165, {"face_too_small"})],
)
def test_tiny_face(models, encode, reference_image, long_side, codes):
    scale = long_side / max(reference_image.size)
    size = (round(reference_image.width * scale), round(reference_image.height * scale))
    small = reference_image.resize(size, Image.Resampling.LANCZOS)

    with pytest.raises(FaceError) as excinfo:
        analyze_face(encode(small, "PNG"))

    assert excinfo.value.code in codes


def test_blurred_face_is_low_quality(models, encode, reference, reference_image):
    sigma = 0.06 * reference.quality["interocular_px"]
    blurred = reference_image.filter(ImageFilter.GaussianBlur(sigma))

    with pytest.raises(FaceError) as excinfo:
        analyze_face(encode(blurred, "JPEG", quality=95))

    assert excinfo.value.code == "low_quality"


@pytest.mark.parametrize(
    ("mode", "fmt", "params", "min_similarity"),
    [
        ("RGB", "PNG", {}, 0.99),
        ("RGB", "WEBP", {"quality": 90}, 0.99),
        ("RGBA", "PNG", {}, 0.99),
        ("P", "PNG", {}, 0.97),
        ("L", "JPEG", {"quality": 90}, 0.95),
    ],
)
def test_formats_and_modes_give_the_same_face(
    models, encode, reference, reference_image, mode, fmt, params, min_similarity
):
    data = encode(reference_image.convert(mode), fmt, **params)

    result = analyze_face(data)

    assert cosine(result.embedding, reference.embedding) >= min_similarity


def test_the_webp_dev_photo_works(dev_results):
    assert isinstance(dev_results["id03/img47.webp"], FaceResult)


@pytest.mark.parametrize(
    ("orientation", "stored"),
    [
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
        (3, Image.Transpose.ROTATE_180),
    ],
)
def test_exif_rotated_photo(models, encode, reference, reference_image, orientation, stored):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(reference_image.transpose(stored), "JPEG", quality=95, exif=exif.tobytes())

    result = analyze_face(data)

    assert cosine(result.embedding, reference.embedding) > 0.99


def test_mirrored_photo_is_still_the_same_person(dev_results):
    original, mirrored = dev_results["id01/img11.jpg"], dev_results["id01/img11_reflection.jpg"]

    assert cosine(original.embedding, mirrored.embedding) > 0.9


@pytest.mark.parametrize("level", ["REPORT", "report", "ENFORCE"])
def test_liveness_score_is_reported(models, read_photo, level):
    result = analyze_face(read_photo(REFERENCE_PHOTO), liveness=level)

    assert 0.0 <= result.liveness_score <= 1.0


def test_liveness_enforced_below_threshold(models, read_photo, monkeypatch):
    monkeypatch.setattr(liveness_module, "LIVENESS_THRESHOLD", 1.01)

    with pytest.raises(LivenessFailedError) as excinfo:
        analyze_face(read_photo(REFERENCE_PHOTO), liveness="ENFORCE")

    assert excinfo.value.code == "liveness_failed"


def test_unknown_liveness_level_is_a_programming_error(models, read_photo):
    with pytest.raises(ValueError):
        analyze_face(read_photo(REFERENCE_PHOTO), liveness="MAYBE")


def test_error_messages_carry_no_biometric_data(models, read_photo, encode, reference_image):
    errors = []
    for data in (
        read_photo("multi/couple.jpg"),
        encode(reference_image.resize((165, 124)), "PNG"),
        b"not an image",
    ):
        with pytest.raises(FaceError) as excinfo:
            analyze_face(data)
        errors.append(excinfo.value)

    for error in errors:
        assert error.code in FACE_ERROR_CODES
        assert str(error).startswith(f"{error.code}: ")
        assert len(error.message) < 200
        assert not re.search(r"\d\.\d{3,}", error.message)
        assert "[" not in error.message


def place(photo: Image.Image, divisor: int, canvas: tuple[int, int]) -> Image.Image:
    """``photo`` shrunk by ``divisor`` on a plain canvas: the same faces, smaller in the frame."""
    small = photo.resize(
        (photo.width // divisor, photo.height // divisor), Image.Resampling.LANCZOS
    )
    frame = Image.new("RGB", canvas, (90, 110, 100))
    frame.paste(small, (canvas[0] // 3, canvas[1] // 3))
    return frame


@pytest.mark.parametrize(("divisor", "canvas"), [(3, (2400, 1600)), (6, (4000, 3000))])
def test_faces_small_in_a_large_frame_are_still_counted(
    models, read_photo, encode, divisor, canvas
):
    couple = decode_image(read_photo("multi/couple.jpg"))

    with pytest.raises(MultipleFacesError):
        analyze_face(encode(place(couple, divisor, canvas), "JPEG", quality=92))


def test_one_face_small_in_a_large_frame_is_found(models, encode, reference, reference_image):
    result = analyze_face(encode(place(reference_image, 3, (4000, 3000)), "JPEG", quality=92))

    assert cosine(result.embedding, reference.embedding) > 0.97


def inside_face_box(image: Image.Image, inset: float) -> Image.Image:
    """``image`` cropped ``inset`` of the face box inside it: forehead, chin and cheeks cut off."""
    x1, y1, x2, y2 = find_single_face(image).box
    dx, dy = inset * (x2 - x1), inset * (y2 - y1)
    return image.crop((round(x1 + dx), round(y1 + dy), round(x2 - dx), round(y2 - dy)))


@pytest.mark.parametrize(
    ("photo", "inset"),
    [("id01/img5.jpg", 0.1), ("id02/img26.jpg", 0.15), ("id05/img13.jpg", 0.2)],
)
def test_face_filling_the_frame_is_enrolled(models, read_photo, encode, dev_results, photo, inset):
    crop = inside_face_box(decode_image(read_photo(f"dev/{photo}")), inset)
    assert find_faces(crop) == []  # so tight that MTCNN alone sees no face

    result = analyze_face(encode(crop, "JPEG", quality=92))

    assert cosine(result.embedding, dev_results[photo].embedding) > 0.93  # a match at 0.927
