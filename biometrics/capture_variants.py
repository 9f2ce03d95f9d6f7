"""Degraded copies of an evaluation photo, made to look like the captures a matcher really sees.

The dev photos are mostly large, sharp, well-lit colour portraits; the threshold chosen on them
alone fails on small grayscale stills (issue 17). Each recipe here turns one photo into one
degraded capture of the same face, placed and sized from the face found in the original
(``box`` and ``landmarks`` in the original's pixels), with its random parameters drawn from a
generator seeded by the photo and the recipe, so a run is reproducible. Every variant is
returned encoded (JPEG, or PNG where no compression is part of the recipe), so the evaluation
decodes it like an upload.

Recipes (``VARIANTS``), applied to the photo reduced to ``WORKING_LONG_SIDE`` px (phones and
browsers send no more; the face-relative recipes shrink it much further anyway):

- ``small_face``: scaled so the face box is about 150 px wide (a distant selfie, a webcam),
  JPEG q75.
- ``still_150_gray``: a square around the face resized to 150 x 150 so that 31-40 px lie
  between the eyes (30 is the pipeline's minimum), grayscale, JPEG q55-75: the small
  grayscale TV still of the outside evaluation.
- ``grayscale``: the whole photo in grayscale.
- ``jpeg_low``: reduced to 640 px on the longer side, JPEG q30-60 (a messenger's re-encoding).
- ``blur``: face box about 200 px wide, Gaussian blur sigma 1-1.8 px (focus or motion).
- ``uneven_light``: one side of the face lit, the other in shadow (gain 0.3-0.5 to 1.1-1.3
  across the face), darker overall, JPEG q85.
- ``low_light``: dark (gain 0.3-0.45) with sensor noise (sigma 4-8), JPEG q50.
- ``rotated``: in-plane rotation by 8-15 degrees either way.
- ``yaw``: a perspective warp that turns the face plane by about 25-30 degrees about the
  vertical axis, then cropped off-centre to a portrait frame (no real 3-D turn: the nose
  does not move across the cheek, so this is milder than a true yaw).
- ``glasses``: dark frames drawn around both eyes and a bridge between them.
- ``tight_crop``: cropped 8-15 % inside the face box (forehead, chin and cheeks cut off).
- ``worst_still``: ``still_150_gray`` with a blur (sigma 0.6-1 px) and JPEG q30-40.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WORKING_LONG_SIDE = 1280


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=int(quality))
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _resize(image: Image.Image, scale: float) -> Image.Image:
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _face_width(box: np.ndarray) -> float:
    return float(box[2] - box[0])


def _square_around(image: Image.Image, box: np.ndarray, factor: float) -> Image.Image:
    """A square of ``factor`` times the face box's larger side around the face.

    Centred on the face, then moved back inside the photo where the photo is large enough.
    """
    side = factor * max(box[2] - box[0], box[3] - box[1])
    left = (box[0] + box[2] - side) / 2
    top = (box[1] + box[3] - side) / 2
    left = min(max(left, 0.0), max(image.width - side, 0.0)) if side <= image.width else left
    top = min(max(top, 0.0), max(image.height - side, 0.0)) if side <= image.height else top
    return image.crop((round(left), round(top), round(left + side), round(top + side)))


def _gain_across(image: Image.Image, box: np.ndarray, low: float, high: float) -> Image.Image:
    """Multiply by a gain ramping from ``low`` to ``high`` across the face, left to right."""
    pixels = np.asarray(image, dtype=np.float32)
    xs = np.arange(image.width, dtype=np.float32)
    t = np.clip((xs - box[0]) / max(_face_width(box), 1.0), 0.0, 1.0)
    gain = low + (high - low) * t
    return Image.fromarray(np.clip(pixels * gain[None, :, None], 0, 255).astype(np.uint8))


def small_face(image, box, landmarks, rng) -> bytes:
    return _jpeg(_resize(image, 150 / _face_width(box)), 75)


def _still(image, landmarks, rng) -> Image.Image:
    """150 x 150 grayscale around the face, 31-40 px between the eyes (the minimum is 30)."""
    left, right = landmarks[0], landmarks[1]
    side = 150 * float(np.hypot(*(right - left))) / rng.uniform(31, 40)
    centre = (left + right) / 2 + (0, 0.1 * side)  # eyes 40 % down, as in a portrait
    box = np.array(
        [centre[0] - side / 2, centre[1] - side / 2, centre[0] + side / 2, centre[1] + side / 2]
    )
    square = _square_around(image, box, 1.0)
    return square.resize((150, 150), Image.Resampling.LANCZOS).convert("L")


def still_150_gray(image, box, landmarks, rng) -> bytes:
    return _jpeg(_still(image, landmarks, rng), rng.integers(55, 76))


def grayscale(image, box, landmarks, rng) -> bytes:
    return _jpeg(image.convert("L"), 90)


def jpeg_low(image, box, landmarks, rng) -> bytes:
    return _jpeg(_resize(image, min(1.0, 640 / max(image.size))), rng.integers(30, 61))


def blur(image, box, landmarks, rng) -> bytes:
    small = _resize(image, min(1.0, 200 / _face_width(box)))
    return _png(small.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.8))))


def uneven_light(image, box, landmarks, rng) -> bytes:
    low, high = rng.uniform(0.3, 0.5), rng.uniform(1.1, 1.3)
    if rng.random() < 0.5:
        low, high = high, low
    return _jpeg(_gain_across(image, box, low, high), 85)


def low_light(image, box, landmarks, rng) -> bytes:
    small = _resize(image, min(1.0, 1000 / max(image.size)))
    pixels = np.asarray(small, dtype=np.float32) * rng.uniform(0.3, 0.45)
    pixels += rng.normal(0.0, rng.uniform(4.0, 8.0), pixels.shape)
    return _jpeg(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), 50)


def rotated(image, box, landmarks, rng) -> bytes:
    angle = rng.uniform(8, 15) * rng.choice([-1, 1])
    turned = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))
    return _jpeg(turned, 90)


def yaw(image, box, landmarks, rng) -> bytes:
    region = _square_around(image, box, 2.0)
    region = _resize(region, min(1.0, 480 / max(region.size)))
    w, h = region.size
    turn = math.radians(rng.uniform(25, 30))
    # The face plane turned by ``turn`` about its vertical axis, seen by a camera ~3 face
    # heights away: the receding side narrows and shrinks in height.
    shrink = 1 - math.sin(turn) * 0.35
    far = (h * (1 - shrink)) / 2
    # QUAD takes the source corners (top left, bottom left, bottom right, top right) that land
    # on the output's corners: a taller source edge comes out shorter.
    if rng.random() < 0.5:
        quad = (0, -far, 0, h + far, w, h, w, 0)
    else:
        quad = (0, 0, 0, h, w, h + far, w, -far)
    warped = region.transform(
        (round(w * math.cos(turn)), h),
        Image.Transform.QUAD,
        quad,
        resample=Image.Resampling.BICUBIC,
        fillcolor=(128, 128, 128),
    )
    return _jpeg(warped, 90)


def glasses(image, box, landmarks, rng) -> bytes:
    framed = image.copy()
    draw = ImageDraw.Draw(framed)
    left, right = np.asarray(landmarks[0]), np.asarray(landmarks[1])
    iod = float(np.hypot(*(right - left)))
    rx, ry = 0.36 * iod, 0.24 * iod
    line = max(2, round(0.05 * iod))
    colour = tuple(int(v) for v in rng.integers(10, 60, 3))
    for eye in (left, right):
        draw.ellipse(
            (eye[0] - rx, eye[1] - ry, eye[0] + rx, eye[1] + ry), outline=colour, width=line
        )
    draw.line((left[0] + rx, left[1], right[0] - rx, right[1]), fill=colour, width=line)
    return _jpeg(framed, 90)


def tight_crop(image, box, landmarks, rng) -> bytes:
    inset = rng.uniform(0.08, 0.15)
    dx, dy = inset * (box[2] - box[0]), inset * (box[3] - box[1])
    crop = image.crop(
        (round(box[0] + dx), round(box[1] + dy), round(box[2] - dx), round(box[3] - dy))
    )
    return _jpeg(crop, 90)


def worst_still(image, box, landmarks, rng) -> bytes:
    still = _still(image, landmarks, rng).filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.0)))
    return _jpeg(still, rng.integers(30, 41))


Recipe = Callable[[Image.Image, np.ndarray, np.ndarray, np.random.Generator], bytes]

VARIANTS: dict[str, Recipe] = {
    "small_face": small_face,
    "still_150_gray": still_150_gray,
    "grayscale": grayscale,
    "jpeg_low": jpeg_low,
    "blur": blur,
    "uneven_light": uneven_light,
    "low_light": low_light,
    "rotated": rotated,
    "yaw": yaw,
    "glasses": glasses,
    "tight_crop": tight_crop,
    "worst_still": worst_still,
}


def capture_variant(
    name: str, image: Image.Image, box: np.ndarray, landmarks: np.ndarray, *, key: str
) -> bytes:
    """The encoded variant ``name`` of ``image``; ``key`` (e.g. the photo's path) seeds it.

    ``box`` and ``landmarks`` are the face's, found in ``image`` by the pipeline's detector.
    """
    digest = hashlib.sha256(f"{key}\0{name}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    scale = min(1.0, WORKING_LONG_SIDE / max(image.size))
    if scale < 1.0:
        image = _resize(image, scale)
    box = np.asarray(box, dtype=np.float64) * scale
    return VARIANTS[name](image, box, np.asarray(landmarks, dtype=np.float64) * scale, rng)
