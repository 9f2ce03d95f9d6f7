"""Simulated presentation attacks made from an evaluation photo (ISO/IEC 30107-3 "PAI species").

There is no spoof data set here, so the PAD evaluation (``evaluate_faces --pad``) makes one: each
recipe turns a photo of a person into the capture an attacker holding that photo would produce,
placed from the face found in the photo (``box`` and ``landmarks`` in its pixels). Random
parameters come from a generator seeded by the photo and the recipe, so every run makes the same
set. Every attack is returned encoded, as the server would receive it.

Recipes (``ATTACKS``):

- ``print``: the photo printed (lower contrast, paper tint and fibre texture, faint halftone
  rows) and the sheet photographed held at an angle (perspective, 10-25 degrees) in front of a
  background, slightly out of focus, JPEG q80-90.
- ``screen``: the photo shown on a phone or monitor and photographed: moire from the pixel grid
  beating with the camera's, display gamma, a blue or green cast, a black bezel and a bright
  glare band, JPEG q80-90.
- ``replay_exact``: the very file of the enrollment photo sent again.
- ``replay_reencoded``: the enrollment photo resized and re-encoded (a forwarded copy).
- ``cutout``: the printed face cut along its outline (an ellipse) with holes at the eyes, held in
  front of another scene, the hole edges shaded.
- ``sketch``: a grayscale photocopy-like print with hard contrast and a pencil-sketch blend of
  the edges.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

WORKING_LONG_SIDE = 1280

#: Attacks made from the enrollment photo itself; the others are made from the person's other
#: photos (what an attacker finds on social media).
FROM_ENROLLMENT = ("replay_exact", "replay_reencoded")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=int(quality))
    return out.getvalue()


def _resize(image: Image.Image, scale: float) -> Image.Image:
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _background(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A plain indoor-looking backdrop: a smooth two-colour gradient with sensor noise."""
    w, h = size
    top = rng.uniform(60, 200, 3)
    bottom = rng.uniform(40, 180, 3)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    pixels = top * (1 - t) + bottom * t + rng.normal(0, 3, (h, w, 3))
    return Image.fromarray(np.clip(np.broadcast_to(pixels, (h, w, 3)), 0, 255).astype(np.uint8))


def _printed(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The photo as ink on paper: compressed range, paper tint, fibre noise, halftone rows."""
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = pixels ** rng.uniform(1.05, 1.3)  # ink darkens mid-tones
    black, white = rng.uniform(0.08, 0.18), rng.uniform(0.82, 0.93)
    pixels = black + (white - black) * pixels
    paper = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.86, 0.95)], dtype=np.float32)
    pixels *= paper
    h, w = pixels.shape[:2]
    fibre = rng.normal(0.0, 1.0, (h // 2 + 1, w // 2 + 1)).astype(np.float32)
    fibre = np.asarray(
        Image.fromarray(fibre).resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32
    )
    pixels += rng.uniform(0.015, 0.035) * fibre[..., None]
    period = rng.uniform(2.5, 4.0)
    rows = 0.5 + 0.5 * np.cos(2 * np.pi * np.arange(h, dtype=np.float32) / period)
    pixels *= 1.0 - rng.uniform(0.02, 0.05) * rows[:, None, None]
    return Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))


def _held_at_angle(
    sheet: Image.Image, rng: np.random.Generator, *, margin: float = 0.25
) -> Image.Image:
    """``sheet`` seen at an angle in front of a backdrop: a random perspective, some blur."""
    w, h = sheet.size
    canvas = (round(w * (1 + 2 * margin)), round(h * (1 + 2 * margin)))
    tilt = np.sin(np.radians(rng.uniform(10, 25))) * 0.3
    dx, dy = margin * w, margin * h
    near, far = (1.0, 1.0 - tilt) if rng.random() < 0.5 else (1.0 - tilt, 1.0)
    # Where the sheet's corners land: one vertical edge shorter (it is further away).
    corners = np.array(
        [
            [dx, dy + h * (1 - near) / 2],
            [dx, dy + h * (1 + near) / 2],
            [dx + w, dy + h * (1 + far) / 2],
            [dx + w, dy + h * (1 - far) / 2],
        ]
    )
    corners += rng.normal(0, 0.01 * w, corners.shape)
    # PERSPECTIVE maps output -> input: solve for the homography from the landed corners back.
    source = np.array([[0, 0], [0, h], [w, h], [w, 0]], dtype=np.float64)
    rows = []
    for (x, y), (u, v) in zip(corners, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coefficients = np.linalg.solve(np.array(rows), source.reshape(-1))
    mask = Image.new("L", sheet.size, 255).transform(
        canvas, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BILINEAR
    )
    warped = sheet.transform(
        canvas, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BICUBIC
    )
    scene = _background(canvas, rng)
    scene.paste(warped, (0, 0), mask)
    return scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))


def _face_square(image: Image.Image, box: np.ndarray, factor: float) -> Image.Image:
    side = factor * max(box[2] - box[0], box[3] - box[1])
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    left, top = max(0.0, cx - side / 2), max(0.0, cy - side / 2)
    return image.crop(
        (
            round(left),
            round(top),
            round(min(image.width, left + side)),
            round(min(image.height, top + side)),
        )
    )


def print_attack(image, box, landmarks, rng) -> bytes:
    sheet = _printed(_face_square(image, box, rng.uniform(2.2, 3.0)), rng)
    sheet = _resize(sheet, min(1.0, 600 / max(sheet.size)))
    return _jpeg(_held_at_angle(sheet, rng), rng.integers(80, 91))


def screen_attack(image, box, landmarks, rng) -> bytes:
    shown = _face_square(image, box, rng.uniform(2.2, 3.0))
    shown = _resize(shown, min(1.0, 600 / max(shown.size)))
    pixels = np.asarray(shown, dtype=np.float32) / 255.0
    pixels = pixels ** rng.uniform(0.7, 0.85)  # a display's brighter gamma as a camera sees it
    cast = np.array([rng.uniform(0.85, 0.95), rng.uniform(0.95, 1.05), rng.uniform(1.05, 1.2)])
    if rng.random() < 0.3:
        cast = np.array([rng.uniform(0.9, 1.0), rng.uniform(1.05, 1.15), rng.uniform(0.9, 1.0)])
    pixels *= cast
    h, w = pixels.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(6.0, 14.0)
    moire = np.cos(2 * np.pi * (xs * np.cos(angle) + ys * np.sin(angle)) / period)
    moire *= 0.5 + 0.5 * np.cos(
        2 * np.pi * (xs * np.sin(angle) - ys * np.cos(angle)) / (3 * period)
    )
    pixels *= (1.0 + rng.uniform(0.05, 0.12) * moire)[..., None]
    grid = 1.0 - 0.08 * ((xs.astype(int) % 3) == 0)[..., None]  # sub-pixel columns
    pixels *= grid
    glare_x = rng.uniform(0.2, 0.8) * w
    glare = np.exp(-(((xs - glare_x - 0.3 * ys) / (0.12 * w)) ** 2))
    pixels += rng.uniform(0.1, 0.25) * glare[..., None]
    screen = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    bezel = round(rng.uniform(0.04, 0.08) * max(w, h))
    framed = ImageOps.expand(
        screen, border=bezel, fill=tuple(int(v) for v in rng.integers(0, 25, 3))
    )
    return _jpeg(_held_at_angle(framed, rng, margin=0.15), rng.integers(80, 91))


def replay_exact(image, box, landmarks, rng, *, original: bytes) -> bytes:
    return original


def replay_reencoded(image, box, landmarks, rng, *, original: bytes) -> bytes:
    return _jpeg(_resize(image, rng.uniform(0.5, 0.9)), rng.integers(60, 86))


def cutout_attack(image, box, landmarks, rng) -> bytes:
    factor = rng.uniform(1.8, 2.2)
    square = _face_square(image, box, factor)
    offset = np.array(
        [
            max(0.0, (box[0] + box[2]) / 2 - factor * max(box[2] - box[0], box[3] - box[1]) / 2),
            max(0.0, (box[1] + box[3]) / 2 - factor * max(box[2] - box[0], box[3] - box[1]) / 2),
        ]
    )
    printed = _printed(square, rng)
    mask = Image.new("L", printed.size, 0)
    draw = ImageDraw.Draw(mask)
    face = np.asarray(box, dtype=np.float64) - np.concatenate([offset, offset])
    fw, fh = face[2] - face[0], face[3] - face[1]
    draw.ellipse(
        (face[0] - 0.05 * fw, face[1] - 0.15 * fh, face[2] + 0.05 * fw, face[3] + 0.05 * fh),
        fill=255,
    )
    iod = float(np.hypot(*(landmarks[1] - landmarks[0])))
    for eye in np.asarray(landmarks[:2]) - offset:
        r = rng.uniform(0.12, 0.18) * iod
        draw.ellipse((eye[0] - r, eye[1] - 0.6 * r, eye[0] + r, eye[1] + 0.6 * r), fill=0)
    scene = _background(printed.size, rng)
    shade = Image.fromarray(
        (np.asarray(scene, dtype=np.float32) * 0.35).astype(np.uint8)
    )  # what shows through the eye holes: the attacker's own shaded eyes, approximated dark
    inside = Image.new("L", printed.size, 0)
    ImageDraw.Draw(inside).ellipse(
        (face[0] - 0.05 * fw, face[1] - 0.15 * fh, face[2] + 0.05 * fw, face[3] + 0.05 * fh),
        fill=255,
    )
    scene.paste(shade, (0, 0), inside)
    scene.paste(printed, (0, 0), mask)
    scene = _resize(scene, min(1.0, 700 / max(scene.size)))
    return _jpeg(
        scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8))), rng.integers(80, 91)
    )


def sketch_attack(image, box, landmarks, rng) -> bytes:
    square = _face_square(image, box, rng.uniform(2.2, 3.0))
    square = _resize(square, min(1.0, 600 / max(square.size)))
    gray = ImageOps.autocontrast(square.convert("L"), cutoff=rng.uniform(1, 4))
    blurred = ImageOps.invert(gray).filter(ImageFilter.GaussianBlur(rng.uniform(4, 8)))
    g = np.asarray(gray, dtype=np.float32)
    b = np.asarray(blurred, dtype=np.float32)
    dodge = np.clip(g * 255.0 / np.maximum(255.0 - b, 1.0), 0, 255)  # colour-dodge pencil sketch
    mix = rng.uniform(0.3, 0.6)
    pixels = mix * dodge + (1 - mix) * g
    sheet = Image.fromarray(pixels.astype(np.uint8)).convert("RGB")
    return _jpeg(_held_at_angle(_printed(sheet, rng), rng), rng.integers(80, 91))


Recipe = Callable[..., bytes]

ATTACKS: dict[str, Recipe] = {
    "print": print_attack,
    "screen": screen_attack,
    "replay_exact": replay_exact,
    "replay_reencoded": replay_reencoded,
    "cutout": cutout_attack,
    "sketch": sketch_attack,
}


def presentation_attack(
    name: str,
    image: Image.Image,
    box: np.ndarray,
    landmarks: np.ndarray,
    *,
    key: str,
    original: bytes,
) -> bytes:
    """The encoded attack ``name`` made from ``image`` (decoded from ``original``).

    ``box`` and ``landmarks`` are the face's in ``image``; ``key`` (e.g. the photo's path)
    seeds the recipe's random parameters.
    """
    digest = hashlib.sha256(f"{key}\0attack\0{name}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    scale = min(1.0, WORKING_LONG_SIDE / max(image.size))
    if scale < 1.0:
        image = _resize(image, scale)
    box = np.asarray(box, dtype=np.float64) * scale
    landmarks = np.asarray(landmarks, dtype=np.float64) * scale
    if name in FROM_ENROLLMENT:
        return ATTACKS[name](image, box, landmarks, rng, original=original)
    return ATTACKS[name](image, box, landmarks, rng)
