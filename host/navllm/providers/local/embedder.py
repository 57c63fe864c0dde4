"""Sentence embeddings on this machine: the store's embedding model on onnxruntime.

``embed`` blocks (it may pull the default model, then tokenises and runs it), so callers run
it in a worker thread. The host keeps one session, for the last model used, made on first use.
Texts run one by one: unpadded single runs beat padded batches on CPU for this model size.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ...protocol.errors import ErrorName, NavError

if TYPE_CHECKING:
    from ...models.store import InstalledModel

_lock = threading.Lock()
_current: tuple[Path, _Session] | None = None


def embed(texts: list[str], model: str | None) -> list[list[float]]:
    """One unit-length vector per text, from ``model`` or the default embedding model."""
    session = _session(_installed(model))
    return [session.run(text) for text in texts]


def _installed(name: str | None) -> InstalledModel:
    from ...models.store import DEFAULT_EMBEDDING_SOURCE, ModelStore

    store = ModelStore()
    if name is None:
        return store.default("embedding") or store.pull(DEFAULT_EMBEDDING_SOURCE)
    installed = store.get(name)
    if installed.kind != "embedding":
        raise NavError(ErrorName.NOT_SUPPORTED, f"{name!r} is a {installed.kind} model, not an embedding model")
    return installed


def _session(installed: InstalledModel) -> _Session:
    global _current
    with _lock:
        if _current is None or _current[0] != installed.path:
            _current = (installed.path, _Session(installed.path))
        return _current[1]


class _Session:
    def __init__(self, folder: Path):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from ... import settings

        manifest = json.loads((folder / "navllm-model.json").read_bytes())
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(manifest["maxTokens"]))
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.load().threads or 0  # 0: onnxruntime's default
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def run(self, text: str) -> list[float]:
        import numpy as np

        encoding = self.tokenizer.encode(text)
        feed = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        }
        vector: list[float] = self.session.run(["sentence_embedding"], feed)[0][0].tolist()
        return vector
