"""Decoding untrusted image bytes."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from recognize_sdk.face.decode import MAX_PIXELS, decode_image
from recognize_sdk.face.errors import ImageTooLargeError, NotAnImageError


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but carries no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", 0)
        + b"IEND"
        + struct.pack(">I", zlib.crc32(b"IEND"))
    )


def two_tone(width: int = 64, height: int = 32) -> Image.Image:
    """Left half red, right half blue."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2 :] = (0, 0, 255)
    return Image.fromarray(pixels)


@pytest.mark.parametrize(
    "make_data",
    [
        pytest.param(lambda encode: b"", id="empty"),
        pytest.param(lambda encode: b"definitely not an image", id="text"),
        pytest.param(lambda encode: b"\xff\xd8\xff\xe0" + b"\x00" * 32, id="jpeg-magic-only"),
        pytest.param(lambda encode: encode(two_tone(), "JPEG")[:300], id="truncated-jpeg"),
        pytest.param(lambda encode: encode(two_tone(), "PNG")[:60], id="truncated-png"),
        pytest.param(lambda encode: encode(two_tone(), "GIF"), id="unsupported-gif"),
    ],
)
def test_not_an_image(encode, make_data):
    with pytest.raises(NotAnImageError) as excinfo:
        decode_image(make_data(encode))

    assert excinfo.value.code == "not_an_image"


def test_truncated_real_photo_is_not_an_image(read_photo):
    data = read_photo("dev/id01/img2.jpg")

    with pytest.raises(NotAnImageError):
        decode_image(data[: len(data) // 2])


@pytest.mark.parametrize(
    "make_data",
    [
        pytest.param(lambda encode: png_header(30000, 30000), id="bomb-30000x30000"),
        pytest.param(lambda encode: png_header(5000, 4001), id="header-just-over-limit"),
        pytest.param(lambda encode: encode(Image.new("1", (5000, 4001)), "PNG"), id="real-21mp"),
    ],
)
def test_image_too_large(encode, make_data):
    with pytest.raises(ImageTooLargeError) as excinfo:
        decode_image(make_data(encode))

    assert excinfo.value.code == "image_too_large"
    assert f"{MAX_PIXELS:,}" in excinfo.value.message


def test_max_pixels_is_configurable(encode):
    data = encode(two_tone(64, 32), "PNG")

    with pytest.raises(ImageTooLargeError):
        decode_image(data, max_pixels=1000)
    assert decode_image(data, max_pixels=2048).size == (64, 32)


@pytest.mark.parametrize(
    ("mode", "fmt", "params"),
    [
        ("RGB", "JPEG", {}),
        ("RGB", "PNG", {}),
        ("RGB", "WEBP", {"quality": 90}),
        ("RGBA", "WEBP", {"lossless": True}),
        ("L", "JPEG", {}),
        ("L", "PNG", {}),
        ("LA", "PNG", {}),
        ("RGBA", "PNG", {}),
        ("P", "PNG", {}),
        ("CMYK", "JPEG", {}),
        ("I;16", "PNG", {}),
        ("1", "PNG", {}),
    ],
)
def test_every_mode_becomes_rgb(encode, mode, fmt, params):
    data = encode(two_tone().convert(mode), fmt, **params)

    image = decode_image(data)

    assert image.mode == "RGB"
    assert image.size == (64, 32)


def test_transparency_is_composited_on_white(encode):
    pixels = np.zeros((8, 8, 4), dtype=np.uint8)
    pixels[:, :4] = (0, 0, 0, 255)

    image = np.asarray(decode_image(encode(Image.fromarray(pixels, "RGBA"), "PNG")))

    assert (image[:, :4] == 0).all()
    assert (image[:, 4:] == 255).all()


@pytest.mark.parametrize(
    ("orientation", "stored"),
    [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
    ],
)
def test_exif_orientation_is_applied(encode, orientation, stored):
    upright = two_tone()
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(upright.transpose(stored), "JPEG", quality=95, exif=exif.tobytes())

    image = np.asarray(decode_image(data)).astype(int)

    assert image.shape == (32, 64, 3)
    assert image[:, :24, 0].mean() > 200 and image[:, :24, 2].mean() < 50
    assert image[:, 40:, 2].mean() > 200 and image[:, 40:, 0].mean() < 50


@pytest.mark.parametrize(
    ("fmt", "min_long_side", "expected"),
    [
        ("JPEG", 1000, (1200, 800)),
        ("JPEG", 500, (600, 400)),
        ("JPEG", 1300, (2400, 1600)),
        ("JPEG", None, (2400, 1600)),
        ("PNG", 1000, (2400, 1600)),
    ],
)
def test_large_jpegs_can_be_decoded_at_a_reduced_scale(encode, fmt, min_long_side, expected):
    data = encode(two_tone(2400, 1600), fmt)

    image = decode_image(data, min_long_side=min_long_side)

    assert image.size == expected
    assert image.mode == "RGB"
