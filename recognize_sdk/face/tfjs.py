"""Read TensorFlow.js weight files (``*-weights_manifest.json`` / ``model.json`` + ``.bin``).

Only what the converters in this package need: float32 and int32 tensors, optionally quantised
to uint8/uint16 (TF.js stores ``value = q * scale + min``, computed in float64 and rounded to
float32, exactly as ``tf.io.decodeWeights`` does) or to float16.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANT_DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


def weight_specs(manifest: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Flatten a weights manifest (list of ``{"paths", "weights"}`` groups) into weight specs."""
    return [spec for group in manifest for spec in group["weights"]]


def decode_weights(specs: Iterable[Mapping[str, Any]], data: bytes) -> dict[str, np.ndarray]:
    """Decode the concatenated weight buffer ``data`` described by ``specs`` into arrays."""
    tensors: dict[str, np.ndarray] = {}
    offset = 0
    for spec in specs:
        shape = tuple(int(d) for d in spec["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        dtype = spec["dtype"]
        if dtype not in _DTYPES:
            raise ValueError(f"unsupported TF.js weight dtype {dtype!r} for {spec['name']}")
        quant = spec.get("quantization")
        stored = np.dtype(_QUANT_DTYPES[quant["dtype"]] if quant else _DTYPES[dtype])
        size = count * stored.itemsize
        if offset + size > len(data):
            raise ValueError(f"weight buffer too short for {spec['name']}")
        raw = np.frombuffer(data, dtype=stored.newbyteorder("<"), count=count, offset=offset)
        offset += size
        if quant and quant["dtype"] in ("uint8", "uint16"):
            values = raw.astype(np.float64) * float(quant["scale"]) + float(quant["min"])
        else:
            values = raw
        tensors[spec["name"]] = np.asarray(values, dtype=_DTYPES[dtype]).reshape(shape)
    if offset != len(data):
        raise ValueError(f"weight buffer has {len(data) - offset} unexpected trailing bytes")
    return tensors
