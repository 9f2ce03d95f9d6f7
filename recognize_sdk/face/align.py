"""Five-point face alignment to the 150x150 chip the recognition network expects.

The network is dlib's face-recognition ResNet, trained on chips cut by dlib's
``extract_image_chip(img, get_face_chip_details(shape, 150, 0.25))``. For a 68-point shape,
``get_face_chip_details`` fits a similarity transform (least squares) from dlib's mean-face
template, placed in the chip as ``(0.25 + p) / 1.5 * 150``, to the detected landmarks; dlib's
5-point predictor template was designed to reproduce that same chip. MTCNN's five points (eye
centres, nose tip, mouth corners) are not dlib's five points (eye corners, nose base), so our
template takes the corresponding points of dlib's 68-point mean face (``mean_face_shape_x/y``
in dlib/image_transforms/interpolation.h): the centroid of each eye's six points (36-41 and
42-47), the nose tip (30) and the mouth corners (48, 54). Placed with the same padding and
size, and fitted the same way, it yields the chip dlib would cut for the same face.

All coordinates here are continuous (pixel ``i`` spans ``[i, i + 1)``, Pillow's convention);
dlib's chip coordinates put pixel centres on integers, hence the ``+ 0.5``.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

CHIP_SIZE = 150
CHIP_PADDING = 0.25

# dlib mean-face points (normalised to the unit square), in MTCNN's landmark order.
_MEAN_FACE = np.array(
    [
        # centroid of points 36..41 (eye on the image's left)
        [
            (0.121737 + 0.187122 + 0.265825 + 0.334606 + 0.260918 + 0.182743) / 6,
            (0.216423 + 0.178758 + 0.179852 + 0.231733 + 0.245099 + 0.244077) / 6,
        ],
        # centroid of points 42..47 (eye on the image's right)
        [
            (0.645647 + 0.714428 + 0.793132 + 0.858516 + 0.79751 + 0.719335) / 6,
            (0.231733 + 0.179852 + 0.178758 + 0.216423 + 0.244077 + 0.245099) / 6,
        ],
        [0.490127, 0.515625],  # point 30, nose tip
        [0.254149, 0.780233],  # point 48, mouth corner on the image's left
        [0.726104, 0.780233],  # point 54, mouth corner on the image's right
    ]
)


def chip_template(size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
    """The five landmark positions ``(5, 2)`` in a ``size`` chip, continuous coordinates."""
    return (padding + _MEAN_FACE) / (2 * padding + 1) * size + 0.5


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping ``src`` to ``dst``.

    Returns the ``(2, 3)`` matrix ``[[a, -b, tx], [b, a, ty]]`` minimising
    ``sum |M @ [x, y, 1] - dst|^2``; no reflection is allowed.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = len(src)
    design = np.zeros((2 * n, 4))
    design[0::2] = np.column_stack([src[:, 0], -src[:, 1], np.ones(n), np.zeros(n)])
    design[1::2] = np.column_stack([src[:, 1], src[:, 0], np.zeros(n), np.ones(n)])
    (a, b, tx, ty), *_ = np.linalg.lstsq(design, dst.reshape(-1), rcond=None)
    return np.array([[a, -b, tx], [b, a, ty]])


def align_face(image: Image.Image, landmarks: np.ndarray, size: int = CHIP_SIZE) -> np.ndarray:
    """Cut the aligned ``size`` x ``size`` RGB chip (uint8 ``[size, size, 3]``) for a face.

    ``landmarks`` are MTCNN's five points in ``image`` coordinates. When the face is much larger
    than the chip, the region is first box-averaged by an integer factor so the bilinear
    resampling does not alias (dlib uses an image pyramid for the same reason).
    """
    matrix = similarity_transform(chip_template(size), landmarks)
    scale = math.hypot(matrix[0, 0], matrix[1, 0])  # image pixels per chip pixel
    source = image
    factor = int(scale) if scale >= 2 else 1
    if factor > 1:
        corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], dtype=float)
        mapped = corners @ matrix.T
        left, top = np.floor(mapped.min(axis=0)).astype(int) - factor
        right, bottom = np.ceil(mapped.max(axis=0)).astype(int) + factor
        source = image.crop((left, top, right, bottom)).reduce(factor)
        matrix = matrix.copy()
        matrix[:, 2] -= (left, top)
        matrix /= factor
    chip = source.transform(
        (size, size),
        Image.Transform.AFFINE,
        tuple(matrix.reshape(-1)),
        resample=Image.Resampling.BILINEAR,
        fillcolor=(0, 0, 0),
    )
    return np.asarray(chip)
