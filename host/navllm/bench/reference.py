"""An fp32 numpy forward pass of a GGUF Llama/Qwen2 model: the yardstick for next-token agreement
(``navllm bench local``) and for the converter's tests.

Independent of both engines and of our GGUF reader: the ``gguf`` package reads the file and
dequantizes with its own numpy code, attention is computed in full with a causal mask, rotary
embeddings in llama.cpp's layout for the architecture (with Llama 3.1's frequency factors).
Slow and memory hungry (every weight in fp32); meant for a few hundred tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from pathlib import Path
from typing import Any

import numpy as np


def logits(gguf_path: Path, ids: list[int]) -> np.ndarray:
    """Logits [len(ids), vocab] at every position of ``ids``."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(str(gguf_path))
    tensors = {t.name: t for t in reader.tensors}

    def field(key: str, default: Any = None) -> Any:
        f = reader.fields.get(key)
        return default if f is None else f.contents()

    def weight(name: str) -> np.ndarray:
        t = tensors[name]
        w = dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32)
        return w.reshape(tuple(int(d) for d in reversed(t.shape.tolist())))

    arch = field("general.architecture")
    layers, heads = int(field(f"{arch}.block_count")), int(field(f"{arch}.attention.head_count"))
    kv_heads = int(field(f"{arch}.attention.head_count_kv", heads))
    eps = float(field(f"{arch}.attention.layer_norm_rms_epsilon"))
    theta = float(field(f"{arch}.rope.freq_base", 10000.0))
    factors = weight("rope_freqs.weight").astype(np.float64) if "rope_freqs.weight" in tensors else 1.0

    x: np.ndarray = weight("token_embd.weight")[ids]
    s, hidden = x.shape
    hd = hidden // heads
    mask = np.triu(np.full((s, s), -np.inf, np.float32), 1)
    for i in range(layers):
        p = f"blk.{i}."
        h = _rms(x, weight(p + "attn_norm.weight"), eps)
        q, k, v = (_project(h, weight, p + f"attn_{t}", tensors) for t in "qkv")
        q = _rope(q.reshape(s, heads, hd).transpose(1, 0, 2), theta, factors, arch == "llama")
        k = _rope(k.reshape(s, kv_heads, hd).transpose(1, 0, 2), theta, factors, arch == "llama")
        v = v.reshape(s, kv_heads, hd).transpose(1, 0, 2)
        k, v = np.repeat(k, heads // kv_heads, axis=0), np.repeat(v, heads // kv_heads, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + attn.transpose(1, 0, 2).reshape(s, hidden) @ weight(p + "attn_output.weight").T
        h = _rms(x, weight(p + "ffn_norm.weight"), eps)
        gate, up = h @ weight(p + "ffn_gate.weight").T, h @ weight(p + "ffn_up.weight").T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ weight(p + "ffn_down.weight").T
    x = _rms(x, weight("output_norm.weight"), eps)
    out: np.ndarray = x @ weight("output.weight" if "output.weight" in tensors else "token_embd.weight").T
    return out


def _project(h: np.ndarray, weight: Callable[[str], np.ndarray], name: str, tensors: Container[str]) -> np.ndarray:
    y: np.ndarray = h @ weight(name + ".weight").T
    return y + weight(name + ".bias") if name + ".bias" in tensors else y


def _rms(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    normed: np.ndarray = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w
    return normed


def _rope(x: np.ndarray, theta: float, factors: np.ndarray | float, interleaved: bool) -> np.ndarray:
    """Rotate x [heads, S, d] by position: pairs (2i, 2i+1) for llama's GGUF layout, halves otherwise;
    ``factors`` divide the frequencies."""
    s, d = x.shape[1], x.shape[2]
    angles = np.outer(np.arange(s), theta ** (-np.arange(0, d, 2, dtype=np.float64) / d) / factors)
    cos, sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
        return out
    a, b = x[..., : d // 2], x[..., d // 2 :]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
