"""Read ``.safetensors`` files: an 8-byte little-endian header length, a JSON header, raw tensors.

Tensors are memory-mapped, so reading a 90 MB model costs no copy until a tensor is used.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from ..protocol.errors import ErrorName, NavError

if TYPE_CHECKING:
    import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
MAX_HEADER = 100 * 1024 * 1024


def read(path: Path) -> dict[str, np.ndarray]:
    """name -> read-only numpy array for every tensor in ``path``."""
    import numpy as np

    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        (length,) = struct.unpack("<Q", raw) if len(raw) == 8 else (None,)
        if length is None or length > min(MAX_HEADER, size - 8):
            raise NavError(ErrorName.DATA, f"{path.name} is not a safetensors file (bad header length)")
        try:
            header = json.loads(f.read(length))
        except ValueError as exc:
            raise NavError(ErrorName.DATA, f"{path.name} has an unreadable safetensors header: {exc}") from None
    start = 8 + length
    blob = np.memmap(path, dtype=np.uint8, mode="r")
    tensors: dict[str, np.ndarray] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(spec.get("dtype"))
        if dtype is None:
            raise NavError(ErrorName.NOT_SUPPORTED, f"{path.name}: tensor {name} has unsupported dtype {spec.get('dtype')}")
        begin, end = spec["data_offsets"]
        shape = tuple(spec["shape"])
        if start + end > size or end - begin != int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize:
            raise NavError(ErrorName.DATA, f"{path.name} is truncated or damaged at tensor {name}")
        tensors[name] = blob[start + begin : start + end].view(dtype).reshape(shape)
    return tensors
