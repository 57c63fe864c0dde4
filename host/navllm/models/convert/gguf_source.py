"""Reading a GGUF file: metadata and raw tensor bytes, with damaged files reported as DataError.

The header is parsed here rather than with ``gguf.GGUFReader``: that reader builds a numpy view
per metadata item, which takes seconds for a 50k-token vocabulary. Type ids, block sizes and names
still come from the ``gguf`` package. Layout: magic, version, tensor and key counts, key/value
pairs, tensor infos, then tensor data at ``general.alignment`` (32 unless given).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...protocol.errors import ErrorName, NavError

if TYPE_CHECKING:
    import numpy as np

MAGIC = b"GGUF"
VERSIONS = (2, 3)
SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
STRING, ARRAY = 8, 9


class _Truncated(Exception):
    pass


@dataclass(frozen=True)
class TensorInfo:
    name: str
    kind: str  # GGML type name, e.g. "Q4_1"
    dims: tuple[int, ...]  # GGUF order: innermost (row length) first
    offset: int  # absolute, in the file
    nbytes: int


class _Cursor:
    def __init__(self, buf: mmap.mmap) -> None:
        self.buf, self.pos = buf, 0

    def many(self, code: str, count: int) -> tuple[Any, ...]:
        size = struct.calcsize(f"<{count}{code}")
        if self.pos + size > len(self.buf):
            raise _Truncated
        values = struct.unpack_from(f"<{count}{code}", self.buf, self.pos)
        self.pos += size
        return values

    def take(self, code: str) -> Any:
        return self.many(code, 1)[0]

    def string(self) -> str:
        n = self.take("Q")
        if self.pos + n > len(self.buf):
            raise _Truncated
        text = bytes(self.buf[self.pos : self.pos + n]).decode("utf-8", errors="replace")
        self.pos += n
        return text

    def strings(self, count: int) -> list[str]:
        """A string array (vocabularies, merges) in one tight loop: the bulk of a GGUF header."""
        buf, pos, length = self.buf, self.pos, struct.Struct("<Q").unpack_from
        out = []
        for _ in range(count):
            (n,) = length(buf, pos)
            out.append(str(buf[pos + 8 : pos + 8 + n], "utf-8", "replace"))
            pos += 8 + n
        if pos > len(buf):
            raise _Truncated
        self.pos = pos
        return out

    def value(self, vtype: int) -> Any:
        if vtype in SCALARS:
            return self.take(SCALARS[vtype])
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            itype, count = self.take("I"), self.take("Q")
            if itype in SCALARS:
                return list(self.many(SCALARS[itype], count))
            if itype == STRING:
                return self.strings(count)
            return [self.value(itype) for _ in range(count)]
        raise ValueError(f"unknown metadata value type {vtype}")


class GGUFSource:
    """A GGUF file: metadata as Python values, tensors as memory-mapped uint8 rows."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            with self.path.open("rb") as f:
                size = self.path.stat().st_size
                head = f.read(4)
                if head != MAGIC:
                    raise NavError(ErrorName.DATA, f"{self.path.name} is not a GGUF file (bad magic {head!r})")
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise NavError(ErrorName.NOT_FOUND, f"cannot read {self.path.name}: {exc.strerror}") from exc
        try:
            self.metadata, self.tensors = self._parse(_Cursor(self._map), size)
        except (_Truncated, struct.error) as exc:
            raise NavError(ErrorName.DATA, f"{self.path.name} is truncated (its header runs past the end)") from exc
        except (ValueError, OverflowError, MemoryError) as exc:
            raise NavError(ErrorName.DATA, f"{self.path.name} is damaged: {exc}") from exc

    def _parse(self, cur: _Cursor, size: int) -> tuple[dict[str, Any], dict[str, TensorInfo]]:
        import gguf

        cur.pos = 4
        version = cur.take("I")
        if version not in VERSIONS:
            raise NavError(ErrorName.NOT_SUPPORTED, f"{self.path.name} is GGUF version {version} (supported: 2, 3)")
        n_tensors, n_kv = cur.take("Q"), cur.take("Q")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cur.string()
            metadata[key] = cur.value(cur.take("I"))
        infos = []
        for _ in range(n_tensors):
            name = cur.string()
            dims = tuple(cur.take("Q") for _ in range(cur.take("I")))
            type_id, offset = cur.take("I"), cur.take("Q")
            try:
                kind = gguf.GGMLQuantizationType(type_id)
            except ValueError:
                raise NavError(ErrorName.NOT_SUPPORTED, f"tensor {name} in {self.path.name} has unknown type id {type_id}") from None
            per_block, block_bytes = gguf.GGML_QUANT_SIZES[kind]
            elements = 1
            for d in dims:
                elements *= d
            infos.append((name, kind.name, dims, offset, elements // per_block * block_bytes))
        alignment = int(metadata.get("general.alignment", 32))
        start = -(-cur.pos // alignment) * alignment
        tensors: dict[str, TensorInfo] = {}
        for name, type_name, dims, offset, nbytes in infos:
            if start + offset + nbytes > size:
                raise NavError(ErrorName.DATA, f"{self.path.name} is truncated: tensor {name} runs past the end")
            tensors[name] = TensorInfo(name, type_name, dims, start + offset, nbytes)
        return metadata, tensors

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    def require(self, key: str) -> Any:
        value = self.metadata.get(key)
        if value is None:
            raise NavError(ErrorName.DATA, f"{self.path.name} lacks the metadata key {key}")
        return value

    def tensor_type(self, name: str) -> str:
        return self.tensors[name].kind

    def shape(self, name: str) -> tuple[int, ...]:
        """The tensor's shape in row-major order (outermost first), e.g. (N, K) for a linear weight."""
        return tuple(reversed(self.tensors[name].dims))

    def raw(self, name: str) -> np.ndarray:
        """The tensor's bytes as uint8 [rows, bytes per row] (a read-only view of the mapped file)."""
        import numpy as np

        t = self.tensors[name]
        rows = 1
        for d in t.dims[1:]:
            rows *= d
        return np.frombuffer(self._map, np.uint8, t.nbytes, t.offset).reshape(rows, -1)
