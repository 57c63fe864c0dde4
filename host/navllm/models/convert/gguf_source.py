"""Reading a GGUF file: metadata and raw tensor bytes, with damaged files reported as DataError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...protocol.errors import ErrorName, NavError

MAGIC = b"GGUF"


class GGUFSource:
    """A GGUF file opened through the ``gguf`` package's memory-mapped reader.

    The reader checks the magic and version; we add a bounds check on every tensor so a truncated
    download fails here, with the file named, instead of deep inside the graph builder.
    """

    def __init__(self, path: Path):
        import gguf

        self.path = Path(path)
        try:
            with self.path.open("rb") as f:
                head = f.read(4)
        except OSError as exc:
            raise NavError(ErrorName.NOT_FOUND, f"cannot read {self.path.name}: {exc.strerror}") from exc
        if head != MAGIC:
            raise NavError(ErrorName.DATA, f"{self.path.name} is not a GGUF file (bad magic {head!r})")
        try:
            self._reader = gguf.GGUFReader(self.path)
        except ValueError as exc:
            if "GGMLQuantizationType" in str(exc):
                # gguf names the raw type id in its message ("42 is not a valid GGMLQuantizationType").
                raise NavError(ErrorName.NOT_SUPPORTED, f"{self.path.name} uses an unknown tensor type: {exc}") from exc
            raise NavError(ErrorName.DATA, f"{self.path.name} is damaged or truncated: {exc}") from exc
        except (IndexError, OverflowError, UnicodeDecodeError, KeyError) as exc:
            raise NavError(ErrorName.DATA, f"{self.path.name} is damaged or truncated ({type(exc).__name__})") from exc
        self.tensors = {t.name: t for t in self._reader.tensors}
        size = self.path.stat().st_size
        for t in self._reader.tensors:
            if t.data_offset + t.n_bytes > size or t.data.nbytes != t.n_bytes:
                raise NavError(ErrorName.DATA, f"{self.path.name} is truncated: tensor {t.name} runs past the end")

    def get(self, key: str, default: Any = None) -> Any:
        field = self._reader.fields.get(key)
        return default if field is None else field.contents()

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise NavError(ErrorName.DATA, f"{self.path.name} lacks the metadata key {key}")
        return value

    def tensor_type(self, name: str) -> str:
        return self.tensors[name].tensor_type.name

    def raw(self, name: str):
        """The tensor's bytes as uint8, rows of the GGUF's innermost dimension (shape [rows, bytes/row])."""
        t = self.tensors[name]
        data = t.data
        rows = int(t.n_elements // int(t.shape[0]))
        return data.reshape(-1).view("uint8").reshape(rows, -1)

    def shape(self, name: str) -> tuple[int, ...]:
        """The tensor's shape in row-major order (outermost first), e.g. (N, K) for a linear weight."""
        return tuple(int(d) for d in reversed(self.tensors[name].shape.tolist()))
