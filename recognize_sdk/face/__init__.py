"""Face pipeline shared by the device SDK and the server's workers (no Django here).

``analyze_face(data)`` turns photo bytes into one L2-normalised 128-d embedding with quality
measures; ``protect.protect`` rotates embeddings into renewable, unlinkable templates;
``fetch_models`` prepares the pinned model files at setup time
(``python -m recognize_sdk.face.models fetch``).

Names are imported lazily, so importing the package does not load onnxruntime, and running the
``models`` module as a script does not import it twice. The functions named like their module
(``embed.embed``, ``protect.protect``) are imported from the module, never from the package, so
that ``recognize_sdk.face.protect`` always means the module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "decode_image": "decode",
    "embed_batch": "embed",
    "FaceError": "errors",
    "FaceTooSmallError": "errors",
    "ImageTooLargeError": "errors",
    "LivenessFailedError": "errors",
    "LowQualityError": "errors",
    "ModelError": "errors",
    "ModelFetchError": "errors",
    "ModelIntegrityError": "errors",
    "MultipleFacesError": "errors",
    "NoFaceError": "errors",
    "NotAnImageError": "errors",
    "fetch_models": "models",
    "verify_models": "models",
    "FaceResult": "pipeline",
    "analyze_face": "pipeline",
    "analyze_image": "pipeline",
    "cosine": "protect",
    "rotation_from_seed": "protect",
    "liveness_score": "liveness",
    "configure": "runtime",
}

__all__ = [
    "FaceError",
    "FaceResult",
    "FaceTooSmallError",
    "ImageTooLargeError",
    "LivenessFailedError",
    "LowQualityError",
    "ModelError",
    "ModelFetchError",
    "ModelIntegrityError",
    "MultipleFacesError",
    "NoFaceError",
    "NotAnImageError",
    "analyze_face",
    "analyze_image",
    "configure",
    "cosine",
    "decode_image",
    "embed_batch",
    "fetch_models",
    "liveness_score",
    "rotation_from_seed",
    "verify_models",
]

if TYPE_CHECKING:
    from recognize_sdk.face.decode import decode_image
    from recognize_sdk.face.embed import embed_batch
    from recognize_sdk.face.errors import (
        FaceError,
        FaceTooSmallError,
        ImageTooLargeError,
        LivenessFailedError,
        LowQualityError,
        ModelError,
        ModelFetchError,
        ModelIntegrityError,
        MultipleFacesError,
        NoFaceError,
        NotAnImageError,
    )
    from recognize_sdk.face.liveness import liveness_score
    from recognize_sdk.face.models import fetch_models, verify_models
    from recognize_sdk.face.pipeline import FaceResult, analyze_face, analyze_image
    from recognize_sdk.face.protect import cosine, rotation_from_seed
    from recognize_sdk.face.runtime import configure


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'recognize_sdk.face' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"recognize_sdk.face.{module}"), name)
    globals()[name] = value
    return value
