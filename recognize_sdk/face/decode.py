"""Decode untrusted image bytes into an upright RGB Pillow image.

Accepts JPEG (including the multi-picture MPO variant phones write), PNG and WebP. The pixel
count is checked from the header before any pixel is decoded, so a decompression bomb is refused
cheaply; EXIF orientation is applied; grayscale, palette, CMYK and 16-bit images become RGB, and
transparency is composited onto white (a transparent background is not a face).
"""

from __future__ import annotations

import io
import math
import struct

from PIL import Image, ImageOps

from recognize_sdk.face.errors import ImageTooLargeError, NotAnImageError

MAX_PIXELS = 20_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image exceeds {MAX_PIXELS:,} pixels") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise NotAnImageError("not a JPEG, PNG or WebP image") from exc


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def decode_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, min_long_side: int | None = None
) -> Image.Image:
    """Decode ``data`` into an upright RGB image of at most ``max_pixels`` pixels.

    ``min_long_side``: JPEGs larger than needed are decoded directly at 1/2, 1/4 or 1/8 scale
    (libjpeg's DCT scaling: much faster than decoding then resizing, and alias-free), the
    smallest scale whose longer side is still at least ``min_long_side`` pixels. Raises
    ``NotAnImageError`` for empty, truncated, corrupt or unsupported data and
    ``ImageTooLargeError`` when the image has more than ``max_pixels`` pixels.
    """
    if not data:
        raise NotAnImageError("the image is empty (0 bytes)")
    image = _open(data)
    width, height = image.size
    if width < 1 or height < 1:
        raise NotAnImageError("the image has no pixels")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} pixels; at most {max_pixels:,} pixels are accepted"
        )
    if min_long_side is not None and image.format in ("JPEG", "MPO"):
        ratio = min(1.0, min_long_side / max(width, height))
        image.draft(None, (math.ceil(width * ratio), math.ceil(height * ratio)))
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image exceeds {max_pixels:,} pixels") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise NotAnImageError("the image is truncated or corrupt") from exc
    return _to_rgb(_upright(image))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a corrupt EXIF block is ignored rather than fatal."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, KeyError, TypeError, SyntaxError, struct.error):
        return image
