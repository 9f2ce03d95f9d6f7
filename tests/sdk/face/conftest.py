"""Fixtures for the face pipeline tests: real models, the shared test photos, synthetic images.

The models are fetched once per machine (``fetch_models`` is idempotent and caches them in
``$RECOGNIZE_MODEL_DIR`` or ``~/.cache/recognize/models``). The photos live outside the
repository, in ``../shared/data/faces`` relative to the project root; without them the photo
tests are skipped, except on CI (``CI=true``) where that is a failure.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parents[3]
FACES_DIR = PROJECT_ROOT.parent / "shared" / "data" / "faces"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


def synthetic_image(name: str, size: int) -> np.ndarray:
    """uint8 ``[size, size, 3]`` image from the integer formulas of tools/face_reference."""
    ys, xs = np.mgrid[0:size, 0:size]
    if name == "pattern":
        return np.stack(
            [(xs * 3 + ys * 5 + c * 70 + ((xs * ys) >> 4)) & 255 for c in range(3)], axis=-1
        ).astype(np.uint8)
    if name == "noise":
        state = 12345
        values = np.empty(size * size * 3, dtype=np.uint8)
        for i in range(values.size):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            values[i] = state >> 24
        return values.reshape(size, size, 3)
    if name == "face":

        def ellipse(cx: int, cy: int, rx: int, ry: int) -> np.ndarray:
            return (xs - cx) ** 2 * ry * ry + (ys - cy) ** 2 * rx * rx <= rx * rx * ry * ry

        image = np.stack([40 + ((xs + ys) >> 1), 60 + (ys >> 1), 90 + (xs >> 2)], axis=-1)
        layers = [
            (ellipse(75, 80, 45, 60), (200, 160, 130)),
            ((xs >= 73) & (xs < 77) & (ys >= 70) & (ys < 100), (170, 120, 100)),
            ((xs >= 60) & (xs < 90) & (ys >= 110) & (ys < 116), (150, 60, 60)),
            (ellipse(57, 68, 8, 5) | ellipse(93, 68, 8, 5), (40, 30, 30)),
        ]
        for mask, colour in layers:
            image[mask] = colour
        return image.astype(np.uint8)
    raise ValueError(f"unknown synthetic image {name!r}")


@pytest.fixture(scope="session")
def tfjs_reference() -> dict:
    """Outputs of the real TF.js models on the synthetic images (see tools/face_reference)."""
    return json.loads((FIXTURES_DIR / "tfjs_reference.json").read_text())


@pytest.fixture(scope="session")
def models() -> dict:
    """The manifest of the real, verified models (fetched on first use)."""
    from recognize_sdk.face.models import fetch_models

    return fetch_models()


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The shared test photos folder."""
    if not (FACES_DIR / "dev" / "labels.csv").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"test photos missing at {FACES_DIR}")
        pytest.skip(f"test photos not available at {FACES_DIR}")
    return FACES_DIR


@pytest.fixture(scope="session")
def dev_labels(faces_dir: Path) -> list[tuple[str, str]]:
    """``(relative path, identity)`` of every dev photo."""
    with (faces_dir / "dev" / "labels.csv").open(newline="") as fh:
        return [(row["path"], row["identity"]) for row in csv.DictReader(fh)]


@pytest.fixture(scope="session")
def read_photo(faces_dir: Path) -> Callable[[str], bytes]:
    """Bytes of a photo given its path relative to the faces folder (e.g. ``dev/id01/img2.jpg``)."""

    def read(relative: str) -> bytes:
        return (faces_dir / relative).read_bytes()

    return read


def encode_image(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Encode a Pillow image in memory."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def encode() -> Callable[..., bytes]:
    """``encode(image, "PNG", **params)``: a Pillow image as file bytes."""
    return encode_image


@pytest.fixture(scope="session")
def synthetic() -> Callable[[str, int], np.ndarray]:
    """``synthetic(name, size)``: the deterministic test images of :func:`synthetic_image`."""
    return synthetic_image


@pytest.fixture(scope="session")
def dev_results(models: dict, dev_labels: list[tuple[str, str]], read_photo) -> dict:
    """``analyze_face`` of every dev photo: path -> FaceResult or FaceError."""
    from recognize_sdk.face import FaceError, analyze_face

    results: dict = {}
    for path, _ in dev_labels:
        try:
            results[path] = analyze_face(read_photo(f"dev/{path}"))
        except FaceError as exc:
            results[path] = exc
    return results
