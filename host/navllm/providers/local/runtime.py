"""A converted model folder loaded into onnxruntime, and the forward step over a KV cache.

One instance per (folder, thread count) per host, loaded on first use and shared by every
conversation; onnxruntime, numpy and tokenizers are imported only here, when a model loads.
"""

from __future__ import annotations

import functools
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
LOGITS_TO_KEEP = "logits_to_keep"  # the graph input that selects how many final positions get logits
# One position against several in a forward: attention's one-row kernel rounds differently, by
# 1e-4 in the logits with fp32 activations (up to 1e-2 through the int8 head), 0.4–0.9 once int8
# activations amplify it (SmolLM2, onnxruntime 1.32, x86-64).
_SAME_LOGITS = 0.05


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

        from . import heap
        from .prepared import open_session

        self.folder = folder
        self.info = ModelInfo.read(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.session = open_session(folder, threads)
        heap.give_back()  # what parsing the tokenizer and loading the graph freed (SmolLM2: 12 MiB)
        self._ort = ort
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.forwarded = 0  # tokens fed through the graph since load (prefill reuse is observable)

    def cache_shape(self, limit: int) -> CacheShape:
        info = self.info
        return CacheShape(layers=info.layers, kv_heads=info.kv_heads, head_dim=info.head_dim, limit=min(limit, info.context_length))

    @property
    def verifies_drafts(self) -> bool:
        """True when the graph can return logits for several final positions (``logits_to_keep``);
        graphs converted before it return the last position only, and decode without drafts."""
        return LOGITS_TO_KEEP in self._inputs

    @functools.cached_property
    def batches(self) -> bool:
        """True when the graph declares a named batch dimension, so several conversations decode in
        one forward (``pool.BatchPool``); graphs converted before it declare batch 1 and decode one
        conversation at a time."""
        dims = next(i.shape for i in self.session.get_inputs() if i.name == "input_ids")
        return not isinstance(dims[0], int)

    @functools.cached_property
    def drafts_exact(self) -> bool:
        """True when logits computed for several positions in one forward equal those computed one
        position at a time, so verified drafts leave greedy replies unchanged. On int8-activation
        graphs they differ (up to ~0.9 logit on SmolLM2, see ``_SAME_LOGITS``); probed once, on a
        few tokens, without counting them in ``forwarded``."""
        import numpy as np

        if not self.verifies_drafts:
            return False
        probe = list(self.tokenizer.encode("The quick brown fox jumps", add_special_tokens=False).ids[:4])
        if len(probe) < 4:  # a vocabulary of whole words: any ordinary ids do
            probe = [i % self.info.vocab_size for i in range(1, 5)]
        forwarded = self.forwarded
        one, rows = (KVCache(self.cache_shape(len(probe)), capacity=len(probe)) for _ in range(2))
        one_binding, rows_binding = self.new_binding(), self.new_binding()
        self.forward(probe[:2], one, one_binding)
        singles = [self.forward([t], one, one_binding).copy() for t in probe[2:]]
        self.forward(probe[:2], rows, rows_binding)
        together = self.forward_tail(probe[2:], rows, rows_binding, 2)
        self.forwarded = forwarded
        return all(float(np.abs(a - b).max()) <= _SAME_LOGITS for a, b in zip(singles, together, strict=True))

    def forward(self, ids: list[int], cache: KVCache, binding: Binding, run_options: ort.RunOptions | None = None) -> np.ndarray:
        """Run ``ids`` after the cached positions; append them to the cache; return the last logits."""
        last: np.ndarray = self.forward_tail(ids, cache, binding, 1, run_options)[-1]
        return last

    def forward_tail(
        self, ids: list[int], cache: KVCache, binding: Binding, keep: int, run_options: ort.RunOptions | None = None
    ) -> np.ndarray:
        """As ``forward``, returning the logits of the last ``keep`` of ``ids``: [keep, vocab]
        (row i predicts the token after ``ids[len(ids) - keep + i]``)."""
        import numpy as np

        if not 1 <= keep <= len(ids) or (keep > 1 and not self.verifies_drafts):
            raise ValueError(f"cannot return the logits of {keep} of {len(ids)} positions on this graph")
        past = len(cache)
        total = past + len(ids)
        cache.reserve(total)
        binding.rebind(cache)
        binding.keep(keep)
        io = binding.io
        io.bind_cpu_input("input_ids", np.asarray([ids], dtype=np.int64))
        io.bind_cpu_input("attention_mask", np.ones((1, total), dtype=np.int64))
        self.session.run_with_iobinding(io, run_options)
        cache.tokens.extend(ids)
        self.forwarded += len(ids)
        logits: np.ndarray = binding.logits[0]
        return logits

    def new_binding(self) -> Binding:
        return Binding(self)


class Binding:
    """The IOBinding of one KV cache: its buffers double as past and present, logits land in place."""

    def __init__(self, model: LoadedModel):
        import numpy as np

        self._model = model
        self.io = model.session.io_binding()
        # One logits buffer, as many rows as the most ever kept; each count binds a view of it.
        self._rows = np.zeros((1, 1, model.info.vocab_size), dtype=np.float32)
        self._views: dict[int, tuple[ort.OrtValue, ort.OrtValue | None]] = {}
        self._kept = 0
        self.keep(1)
        self._bound: tuple[KVCache, int] | None = None

    @property
    def logits(self) -> np.ndarray:
        """The last run's logits: [1, kept, vocab]."""
        return self._rows[:, : self._kept]

    def keep(self, count: int) -> None:
        """Bind the logits of the last ``count`` positions (rebound only when the count changes)."""
        if count == self._kept:
            return
        import numpy as np

        from_numpy = self._model._ort.OrtValue.ortvalue_from_numpy
        if count > self._rows.shape[1]:
            self._rows = np.zeros((1, count, self._model.info.vocab_size), dtype=np.float32)
            self._views.clear()
        if count not in self._views:
            wanted = from_numpy(np.array([count], dtype=np.int64)) if self._model.verifies_drafts else None
            self._views[count] = (from_numpy(self._rows[:, :count]), wanted)
        output, wanted = self._views[count]
        self.io.bind_ortvalue_output("logits", output)
        if wanted is not None:
            self.io.bind_ortvalue_input(LOGITS_TO_KEEP, wanted)
        self._kept = count

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
