"""Convert face-api's TF.js face-recognition weights into an ONNX graph.

The network is dlib's ``dlib_face_recognition_resnet_model_v1`` as re-implemented by face-api in
``src/faceRecognitionNet`` (FaceRecognitionNet.ts, convLayer.ts, residualLayer.ts,
scaleLayer.ts): a 7x7/2 conv + 3x3/2 max-pool stem, 14 residual blocks (32, 64, 128, 256
filters; the ``*_down`` blocks use a 3x3/2 valid conv, a 2x2/2 average-pool shortcut
zero-padded to the new channel count and, when the spatial sizes differ, a zero row/column
appended to the conv branch), a global average pool and a 256x128 fully connected layer.
Each conv is followed by an affine "scale" layer (folded here into the conv weights).

The ONNX model takes ``image``: float32 ``[N, 150, 150, 3]`` RGB in 0..255 (the aligned crop,
exactly what face-api feeds after ``toBatchTensor(150)``) and returns ``descriptor``: float32
``[N, 128]``, the raw (unnormalised) descriptor. face-api's input normalisation (subtract dlib's
mean RGB, divide by 255) is folded into the first convolution, which is exact up to float32
rounding because that convolution has no zero padding. The result matches TF.js within ~3e-7.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SIZE = 150
MEAN_RGB = (122.782, 117.001, 104.298)
OPSET = 17

_RESIDUAL_BLOCKS = (
    ("conv32_1", False),
    ("conv32_2", False),
    ("conv32_3", False),
    ("conv64_down", True),
    ("conv64_1", False),
    ("conv64_2", False),
    ("conv64_3", False),
    ("conv128_down", True),
    ("conv128_1", False),
    ("conv128_2", False),
    ("conv256_down", True),
    ("conv256_1", False),
    ("conv256_2", False),
    ("conv256_down_out", True),
)


class _GraphBuilder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def conv_layer(
        self,
        x: str,
        prefix: str,
        *,
        stride: int,
        relu: bool,
        input_mean: tuple[float, ...] | None = None,
        input_div: float = 1.0,
    ) -> str:
        """conv (TF 'same' for stride 1, 'valid' for stride 2) + bias + scale (+ relu).

        The scale layer is folded into the kernel and bias; for the first ('valid', so no zero
        padding) conv, the input normalisation ``(x - input_mean) / input_div`` is folded too.
        """
        filters = self.weights[f"{prefix}/conv/filters"].astype(np.float64)  # [kh, kw, in, out]
        bias = self.weights[f"{prefix}/conv/bias"].astype(np.float64)
        scale_w = self.weights[f"{prefix}/scale/weights"].astype(np.float64)
        scale_b = self.weights[f"{prefix}/scale/biases"].astype(np.float64)
        k = filters.shape[0]
        pad = (k - 1) // 2 if stride == 1 else 0
        if input_mean is not None:
            if pad:
                raise ValueError("input normalisation can only be folded into a 'valid' conv")
            bias = bias - np.einsum("hwio,i->o", filters, np.asarray(input_mean)) / input_div
            filters = filters / input_div
        kernel = np.transpose(filters * scale_w, (3, 2, 0, 1)).astype(np.float32)
        folded_bias = (bias * scale_w + scale_b).astype(np.float32)
        out = self.op(
            "Conv",
            [x, self.const(f"{prefix}/W", kernel), self.const(f"{prefix}/B", folded_bias)],
            prefix.replace("/", "_"),
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad, pad, pad, pad],
        )
        return self.op("Relu", [out], "relu") if relu else out

    def pad(self, x: str, ends: tuple[int, int, int, int]) -> str:
        pads = np.array([0, 0, 0, 0, *ends], dtype=np.int64)
        return self.op("Pad", [x, self.const("pads", pads)], "pad", mode="constant")


def _conv_out(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def build_face_recognition_onnx(weights: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """Build the ONNX model from decoded TF.js weights (names as in face-api's manifest)."""
    g = _GraphBuilder(weights)
    x = g.op("Transpose", ["image"], "nchw", perm=[0, 3, 1, 2])
    x = g.conv_layer(x, "conv32_down", stride=2, relu=True, input_mean=MEAN_RGB, input_div=255.0)
    size = _conv_out(INPUT_SIZE, 7, 2)
    x = g.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2])
    size = _conv_out(size, 3, 2)
    channels = 32

    for prefix, down in _RESIDUAL_BLOCKS:
        filters = weights[f"{prefix}/conv2/conv/filters"].shape[3]
        out = g.conv_layer(x, f"{prefix}/conv1", stride=2 if down else 1, relu=True)
        out = g.conv_layer(out, f"{prefix}/conv2", stride=1, relu=False)
        shortcut = x
        if down:
            conv_size = _conv_out(size, 3, 2)
            size = _conv_out(size, 2, 2)
            shortcut = g.op("AveragePool", [x], "avgpool", kernel_shape=[2, 2], strides=[2, 2])
            if conv_size != size:
                out = g.pad(out, (0, 0, size - conv_size, size - conv_size))
            if filters != channels:
                shortcut = g.pad(shortcut, (0, filters - channels, 0, 0))
        channels = filters
        x = g.op("Relu", [g.op("Add", [out, shortcut], f"{prefix}_add")], "relu")

    x = g.op("ReduceMean", [x], "global_avg", axes=[2, 3], keepdims=0)
    fc = np.asarray(weights["fc"], dtype=np.float32)
    g.nodes.append(helper.make_node("MatMul", [x, g.const("fc", fc)], ["descriptor"], name="fc"))

    graph = helper.make_graph(
        g.nodes,
        "face_recognition_resnet",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 150, 150, 3])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 128])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="recognize_sdk.face.convert_facerec",
        doc_string="dlib face recognition ResNet (face-api TF.js weights); input RGB 0..255 NHWC.",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
