"""Errors raised by the face pipeline.

``FaceError`` is about the submitted photo (the caller should show its message to the user and
ask for another photo); ``ModelError`` is about the installation (model files missing, fetch
failed, file tampered with) and is an operator problem. Messages never contain biometric data:
no pixel values, no embedding values, only sizes, counts and thresholds.
"""

from __future__ import annotations


class FaceError(Exception):
    """A photo that cannot give one usable face; ``code`` is stable, ``message`` is for humans."""

    code = "face_error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class _CodedFaceError(FaceError):
    """A ``FaceError`` whose code is fixed by its class: raised as ``NoFaceError(message)``."""

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)
        self.args = (message,)  # so pickle and Celery rebuild it with its own signature


class NotAnImageError(_CodedFaceError):
    """The bytes are empty, truncated, or not a JPEG/PNG/WebP image."""

    code = "not_an_image"


class ImageTooLargeError(_CodedFaceError):
    """The image has more pixels than the pipeline accepts (or is a decompression bomb)."""

    code = "image_too_large"


class NoFaceError(_CodedFaceError):
    """No face was found."""

    code = "no_face"


class MultipleFacesError(_CodedFaceError):
    """More than one face of comparable size was found."""

    code = "multiple_faces"


class FaceTooSmallError(_CodedFaceError):
    """The face is too small (too few pixels between the eyes) to be recognised reliably."""

    code = "face_too_small"


class LowQualityError(_CodedFaceError):
    """The face is too blurred or turned too far away from the camera."""

    code = "low_quality"


class LivenessFailedError(_CodedFaceError):
    """The passive liveness check judged the face to be a presentation attack."""

    code = "liveness_failed"


FACE_ERROR_CODES = (
    NotAnImageError.code,
    ImageTooLargeError.code,
    NoFaceError.code,
    MultipleFacesError.code,
    FaceTooSmallError.code,
    LowQualityError.code,
    LivenessFailedError.code,
)


class ModelError(RuntimeError):
    """The face models are missing, unusable or do not match their pinned hashes."""


class ModelFetchError(ModelError):
    """Fetching or converting the models failed; ``step`` names the step that failed."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(step, message)
        self.step = step
        self.message = message

    def __str__(self) -> str:
        return f"model fetch failed at step '{self.step}': {self.message}"


class ModelIntegrityError(ModelError):
    """A cached model file is missing or its SHA-256 differs from the manifest."""
