"""Face errors: stable codes, and they survive pickling (Celery results carry them)."""

from __future__ import annotations

import pickle

import pytest

from recognize_sdk.face import errors

CODED = [
    errors.NotAnImageError,
    errors.ImageTooLargeError,
    errors.NoFaceError,
    errors.MultipleFacesError,
    errors.FaceTooSmallError,
    errors.LowQualityError,
    errors.LivenessFailedError,
]


def test_codes_are_the_documented_ones():
    assert [cls.code for cls in CODED] == list(errors.FACE_ERROR_CODES) == [
        "not_an_image", "image_too_large", "no_face", "multiple_faces",
        "face_too_small", "low_quality", "liveness_failed",
    ]  # fmt: skip


@pytest.mark.parametrize("cls", CODED)
def test_coded_error_round_trips(cls):
    error = cls("a message for the user")

    for copy in (pickle.loads(pickle.dumps(error)), cls(*error.args)):
        assert type(copy) is cls
        assert (copy.code, copy.message) == (cls.code, "a message for the user")
        assert str(copy) == f"{cls.code}: a message for the user"
        assert isinstance(copy, errors.FaceError)


def test_base_error_takes_code_and_message():
    error = errors.FaceError("custom_code", "something else")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.code, copy.message) == ("custom_code", "something else")


def test_model_fetch_error_names_its_step():
    error = errors.ModelFetchError("face-api: npm pack", "npm is not installed")

    copy = pickle.loads(pickle.dumps(error))

    assert copy.step == "face-api: npm pack"
    assert str(copy) == "model fetch failed at step 'face-api: npm pack': npm is not installed"
