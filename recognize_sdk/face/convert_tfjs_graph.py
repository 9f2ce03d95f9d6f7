"""Convert small TF.js graph models (``model.json`` + ``.bin``) into ONNX.

Covers the operations of the passive-liveness models shipped by ``@vladmandic/human``
(``antispoof`` and ``liveness``): ``Placeholder``, ``Const``, ``_FusedConv2D`` (BiasAdd and
optional Relu fused), ``MaxPool``, ``Relu``, ``_FusedMatMul``, ``Reshape``, ``Mul``, ``Add``,
``AddV2``, ``Sigmoid``, ``Softmax`` and ``Identity``. Anything else raises ``ValueError``, so a
new model version cannot be converted silently wrong.

Tensors keep TF's NHWC layout (so ``Reshape`` flattens in TF's order); convolutions and pooling
are wrapped in transposes to ONNX's NCHW, which onnxruntime's optimiser fuses away. TF's
``SAME`` padding is ONNX's ``SAME_UPPER``. The model has one input ``input`` (the TF
placeholder's shape, batch dynamic) and one output ``output``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from recognize_sdk.face import tfjs

OPSET = 17


def _attr_list(node: Mapping[str, Any], key: str) -> list[int]:
    return [int(v) for v in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def _attr_str(node: Mapping[str, Any], key: str) -> str:
    raw = node.get("attr", {}).get(key, {}).get("s", "")
    return base64.b64decode(raw).decode() if raw else ""


def _attr_str_list(node: Mapping[str, Any], key: str) -> list[str]:
    values = node.get("attr", {}).get(key, {}).get("list", {}).get("s", [])
    return [base64.b64decode(v).decode() for v in values]


def _padding(node: Mapping[str, Any]) -> str:
    padding = _attr_str(node, "padding")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"unsupported padding {padding!r} in {node['name']}")
    return "SAME_UPPER" if padding == "SAME" else "VALID"


def _check_nhwc(node: Mapping[str, Any]) -> None:
    data_format = _attr_str(node, "data_format") or "NHWC"
    if data_format != "NHWC":
        raise ValueError(f"unsupported data_format {data_format!r} in {node['name']}")
    if any(d != 1 for d in _attr_list(node, "dilations")):
        raise ValueError(f"dilated convolution in {node['name']} is not supported")


class _Converter:
    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.names: dict[str, str] = {}
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint.rsplit('/', 1)[-1]}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def emit(self, op: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def source(self, name: str) -> str:
        name = name.split(":")[0]
        if name in self.names:
            return self.names[name]
        if name in self.weights:
            self.names[name] = self.const(name, self.weights[name])
            return self.names[name]
        raise ValueError(f"unknown tensor {name!r}")

    def nchw(self, op: str, x: str, hint: str, inputs: list[str], **attrs: Any) -> str:
        transposed = self.emit("Transpose", [x], "to_nchw", perm=[0, 3, 1, 2])
        out = self.emit(op, [transposed, *inputs], hint, **attrs)
        return self.emit("Transpose", [out], "to_nhwc", perm=[0, 2, 3, 1])

    def fused_tail(self, x: str, node: Mapping[str, Any], expected_first: str) -> str:
        fused = _attr_str_list(node, "fused_ops")
        if not fused or fused[0] != expected_first or any(op != "Relu" for op in fused[1:]):
            raise ValueError(f"unsupported fused ops {fused} in {node['name']}")
        return self.emit("Relu", [x], node["name"]) if len(fused) > 1 else x

    def convert(self, node: Mapping[str, Any]) -> str:
        op, name = node["op"], node["name"]
        inputs = [i for i in node.get("input", []) if not i.startswith("^")]
        if op == "_FusedConv2D":
            _check_nhwc(node)
            strides = _attr_list(node, "strides")[1:3] or [1, 1]
            kernel = np.transpose(self.weights[inputs[1]], (3, 2, 0, 1)).astype(np.float32)
            bias = np.asarray(self.weights[inputs[2]], dtype=np.float32)
            out = self.nchw(
                "Conv",
                self.source(inputs[0]),
                name,
                [self.const(inputs[1], kernel), self.const(inputs[2], bias)],
                kernel_shape=list(kernel.shape[2:]),
                strides=strides,
                auto_pad=_padding(node),
            )
            return self.fused_tail(out, node, "BiasAdd")
        if op == "MaxPool":
            _check_nhwc(node)
            return self.nchw(
                "MaxPool",
                self.source(inputs[0]),
                name,
                [],
                kernel_shape=_attr_list(node, "ksize")[1:3],
                strides=_attr_list(node, "strides")[1:3],
                auto_pad=_padding(node),
            )
        if op == "_FusedMatMul":
            attrs = node.get("attr", {})
            if attrs.get("transpose_a", {}).get("b") or attrs.get("transpose_b", {}).get("b"):
                raise ValueError(f"transposed MatMul in {name} is not supported")
            out = self.emit("MatMul", [self.source(inputs[0]), self.source(inputs[1])], name)
            out = self.emit("Add", [out, self.source(inputs[2])], name)
            return self.fused_tail(out, node, "BiasAdd")
        if op == "Reshape":
            shape = np.asarray(self.weights[inputs[1]], dtype=np.int64)
            return self.emit("Reshape", [self.source(inputs[0]), self.const(name, shape)], name)
        if op in ("Mul", "Add", "AddV2"):
            onnx_op = "Mul" if op == "Mul" else "Add"
            return self.emit(onnx_op, [self.source(i) for i in inputs], name)
        if op in ("Relu", "Sigmoid"):
            return self.emit(op, [self.source(inputs[0])], name)
        if op == "Softmax":
            return self.emit("Softmax", [self.source(inputs[0])], name, axis=-1)
        if op == "Identity":
            return self.source(inputs[0])
        raise ValueError(f"unsupported TF.js op {op!r} ({name})")


def convert_graph_model(
    model_json: Mapping[str, Any], weights_data: bytes, *, name: str
) -> onnx.ModelProto:
    """Convert a TF.js graph model (parsed ``model.json`` and its weight bytes) to ONNX."""
    if model_json.get("format") != "graph-model":
        raise ValueError("not a TF.js graph model")
    weights = tfjs.decode_weights(tfjs.weight_specs(model_json["weightsManifest"]), weights_data)
    graph_nodes = model_json["modelTopology"]["node"]
    converter = _Converter(weights)
    placeholders = [n for n in graph_nodes if n["op"] == "Placeholder"]
    if len(placeholders) != 1:
        raise ValueError("expected exactly one input placeholder")
    dims = placeholders[0]["attr"]["shape"]["shape"]["dim"]
    shape: list[int | str] = [int(d["size"]) for d in dims]
    shape[0] = "N"
    converter.names[placeholders[0]["name"]] = "input"
    last = "input"
    for node in graph_nodes:
        if node["op"] in ("Const", "Placeholder"):
            continue
        last = converter.convert(node)
        converter.names[node["name"]] = last
    converter.nodes.append(helper.make_node("Identity", [last], ["output"], name="output"))
    input_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)

    def build(output_shape: list[int | str] | None) -> onnx.ModelProto:
        graph = helper.make_graph(
            converter.nodes,
            name,
            [input_info],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, output_shape)],
            initializer=converter.initializers,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="recognize_sdk.face.convert_tfjs_graph",
        )
        model.ir_version = 8
        return model

    inferred = onnx.shape_inference.infer_shapes(build(None), strict_mode=True)
    dims = inferred.graph.output[0].type.tensor_type.shape.dim
    model = build([d.dim_param or d.dim_value for d in dims])
    onnx.checker.check_model(model)
    return model
