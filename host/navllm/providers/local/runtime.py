"""A converted model folder loaded into onnxruntime, and the forward step over a KV cache.

One instance per (folder, thread count) per host, loaded on first use and shared by every
conversation; onnxruntime, numpy and tokenizers are imported only here, when a model loads.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...protocol.errors import ErrorName, NavError
from .kv_cache import CacheShape, KVCache

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime as ort

META_FILE = "navllm-model.json"
FORMAT = 1


@dataclass(frozen=True)
class ModelInfo:
    """The converter's ``navllm-model.json``."""

    name: str
    layers: int
    kv_heads: int
    head_dim: int
    vocab_size: int
    context_length: int
    bos_token_id: int | None
    eos_token_ids: tuple[int, ...]
    add_bos: bool
    chat_template: str

    @classmethod
    def read(cls, folder: Path) -> ModelInfo:
        try:
            raw: dict[str, Any] = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NavError(ErrorName.OPERATION, f"{folder} is not a converted model folder: {exc}") from None
        if raw.get("format") != FORMAT:
            raise NavError(
                ErrorName.NOT_SUPPORTED, f"{folder / META_FILE} has format {raw.get('format')!r}; this host reads format {FORMAT}"
            )
        try:
            return cls(
                name=str(raw["name"]),
                layers=int(raw["layers"]),
                kv_heads=int(raw["kvHeads"]),
                head_dim=int(raw["headDim"]),
                vocab_size=int(raw["vocabSize"]),
                context_length=int(raw["contextLength"]),
                bos_token_id=None if raw.get("bosTokenId") is None else int(raw["bosTokenId"]),
                eos_token_ids=tuple(int(t) for t in raw["eosTokenIds"]),
                add_bos=bool(raw.get("addBos", False)),
                chat_template=str(raw["chatTemplate"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NavError(ErrorName.OPERATION, f"{folder / META_FILE} is missing or has a bad field: {exc}") from None


class LoadedModel:
    def __init__(self, folder: Path, threads: int | None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = folder
        self.info = ModelInfo.read(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        options = ort.SessionOptions()
        # 0 lets onnxruntime use one thread per physical core.
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Prepacked weights are what makes MatMulNBits fast (6 tok/s without); keep them on.
        options.add_session_config_entry("session.disable_prepacking", "0")
        try:
            self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise NavError(ErrorName.OPERATION, f"cannot load {folder / 'model.onnx'}: {exc}") from None
        self._ort = ort
        self.forwarded = 0  # tokens fed through the graph since load (prefill reuse is observable)

    def cache_shape(self, limit: int) -> CacheShape:
        info = self.info
        return CacheShape(layers=info.layers, kv_heads=info.kv_heads, head_dim=info.head_dim, limit=min(limit, info.context_length))

    def forward(self, ids: list[int], cache: KVCache, binding: Binding, run_options: ort.RunOptions | None = None) -> np.ndarray:
        """Run ``ids`` after the cached positions; append them to the cache; return the last logits."""
        import numpy as np

        past = len(cache)
        total = past + len(ids)
        cache.reserve(total)
        binding.rebind(cache)
        io = binding.io
        io.bind_cpu_input("input_ids", np.asarray([ids], dtype=np.int64))
        io.bind_cpu_input("attention_mask", np.ones((1, total), dtype=np.int64))
        self.session.run_with_iobinding(io, run_options)
        cache.tokens.extend(ids)
        self.forwarded += len(ids)
        logits: np.ndarray = binding.logits[0, -1]
        return logits

    def new_binding(self) -> Binding:
        return Binding(self)


class Binding:
    """The IOBinding of one KV cache: its buffers double as past and present, logits land in place."""

    def __init__(self, model: LoadedModel):
        import numpy as np

        self._model = model
        self.io = model.session.io_binding()
        self.logits = np.zeros((1, 1, model.info.vocab_size), dtype=np.float32)
        self.io.bind_ortvalue_output("logits", model._ort.OrtValue.ortvalue_from_numpy(self.logits))
        self._bound: tuple[KVCache, int] | None = None

    def rebind(self, cache: KVCache) -> None:
        if self._bound is not None and self._bound[0] is cache and self._bound[1] == cache.generation:
            return
        from_numpy = self._model._ort.OrtValue.ortvalue_from_numpy
        io = self.io
        for i, (k, v) in enumerate(zip(cache.keys, cache.values, strict=True)):
            key, value = from_numpy(k), from_numpy(v)
            io.bind_ortvalue_input(f"past_key_values.{i}.key", key)
            io.bind_ortvalue_input(f"past_key_values.{i}.value", value)
            io.bind_ortvalue_output(f"present.{i}.key", key)
            io.bind_ortvalue_output(f"present.{i}.value", value)
        self._bound = (cache, cache.generation)


_loaded: dict[tuple[Path, int | None], LoadedModel] = {}
_loading = threading.Lock()


def load(folder: Path, threads: int | None) -> LoadedModel:
    """The shared instance for ``folder`` (loaded on first call; later calls return it)."""
    key = (folder.resolve(), threads)
    with _loading:
        model = _loaded.get(key)
        if model is None:
            model = _loaded[key] = LoadedModel(key[0], threads)
        return model
