"""An fp32 numpy forward pass of a GGUF decoder (Llama, Mistral 3, Qwen2/3, SmolLM3, Phi-3, Gemma 2/3): the
yardstick for next-token agreement (``navllm bench local``) and for the converter's tests.

Independent of both engines and of our GGUF reader: the ``gguf`` package reads the file and
dequantizes with its own numpy code, attention is computed in full with a causal (and, where the
model has one, sliding-window) mask, rotary embeddings in llama.cpp's layout for the architecture
with its frequency scaling (linear, YaRN, Llama 3.1 factors, Phi-3 longrope). Written from the
architectures' definitions as llama.cpp runs them. Slow and memory hungry (every weight in fp32);
meant for a few hundred tokens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PAIRWISE = ("llama", "smollm3", "mistral3")  # llama.cpp's converter permutes these to rotate pairs (2i, 2i+1)
GEMMA = ("gemma2", "gemma3")


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
    key = f"{arch}."
    layers, heads = int(field(key + "block_count")), int(field(key + "attention.head_count"))
    kv_heads = int(field(key + "attention.head_count_kv", heads))
    hidden = int(field(key + "embedding_length"))
    hd = int(field(key + "attention.key_length", hidden // heads))
    eps = float(field(key + "attention.layer_norm_rms_epsilon"))
    window = int(field(key + "attention.sliding_window", 0) or 0)
    rope = _Rope(field, arch, hd, tensors, weight)
    scale = 1 / math.sqrt(hd)
    if (arch, layers) in (("gemma2", 46), ("gemma3", 62)):  # the 27B models
        scale = 1 / math.sqrt(hidden / heads)
    attn_cap = float(field(key + "attn_logit_softcapping", 0.0) or 0.0) if arch == "gemma2" else 0.0
    final_cap = float(field(key + "final_logit_softcapping", 0.0) or 0.0) if arch == "gemma2" else 0.0
    # Mistral 3's attention temperature (Llama 4's): queries scaled by position, in steps of the original context.
    temperature = float(field(key + "attention.temperature_scale", 0.0) or 0.0) if arch == "mistral3" else 0.0
    steps = int(field(key + "rope.scaling.original_context_length", 0) or field(key + "context_length"))

    x: np.ndarray = weight("token_embd.weight")[ids]
    if arch in GEMMA:
        x = x * np.float32(math.sqrt(hidden))
    s = x.shape[0]
    pos = np.arange(s)
    causal = pos[None, :] <= pos[:, None]
    for i in range(layers):
        p = f"blk.{i}."
        h = _rms(x, weight(p + "attn_norm.weight"), eps)
        if p + "attn_qkv.weight" in tensors:
            q, k, v = np.split(h @ weight(p + "attn_qkv.weight").T, [heads * hd, (heads + kv_heads) * hd], axis=-1)
        else:
            q, k, v = (_project(h, weight, p + f"attn_{t}", tensors) for t in "qkv")
        q, k = q.reshape(s, heads, hd).transpose(1, 0, 2), k.reshape(s, kv_heads, hd).transpose(1, 0, 2)
        if p + "attn_q_norm.weight" in tensors:  # per-head norms (Qwen3, Gemma 3)
            q, k = _rms(q, weight(p + "attn_q_norm.weight"), eps), _rms(k, weight(p + "attn_k_norm.weight"), eps)
        local = _sliding(arch, i, window)
        if not (arch == "smollm3" and (i + 1) % 4 == 0):  # SmolLM3 skips rotation in every 4th layer
            q, k = rope(q, local), rope(k, local)
        if temperature:
            q = q * (np.log(np.floor(pos / steps) + 1) * temperature + 1).astype(np.float32)[None, :, None]
        v = v.reshape(s, kv_heads, hd).transpose(1, 0, 2)
        k, v = np.repeat(k, heads // kv_heads, axis=0), np.repeat(v, heads // kv_heads, axis=0)
        scores = q @ k.transpose(0, 2, 1) * np.float32(scale)
        if attn_cap:
            scores = attn_cap * np.tanh(scores / attn_cap)
        allowed = causal & (pos[:, None] - pos[None, :] < window) if local else causal
        scores = np.where(allowed, scores, -np.inf)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = (scores / scores.sum(-1, keepdims=True)) @ v
        out = attn.transpose(1, 0, 2).reshape(s, heads * hd) @ weight(p + "attn_output.weight").T
        if arch in GEMMA:
            out = _rms(out, weight(p + "post_attention_norm.weight"), eps)
        x = x + out
        h = _rms(x, weight(p + "ffn_norm.weight"), eps)
        if p + "ffn_gate.weight" in tensors:
            gate, up = h @ weight(p + "ffn_gate.weight").T, h @ weight(p + "ffn_up.weight").T
        else:  # Phi-3: gate and up stacked in ffn_up
            gate, up = np.split(h @ weight(p + "ffn_up.weight").T, 2, axis=-1)
        act = _gelu_tanh(gate) if arch in GEMMA else gate / (1 + np.exp(-gate))
        out = (act * up) @ weight(p + "ffn_down.weight").T
        if arch in GEMMA:
            out = _rms(out, weight(p + "post_ffw_norm.weight"), eps)
        x = x + out
    x = _rms(x, weight("output_norm.weight"), eps)
    out_logits: np.ndarray = x @ weight("output.weight" if "output.weight" in tensors else "token_embd.weight").T
    if final_cap:
        out_logits = final_cap * np.tanh(out_logits / final_cap)
    return out_logits


def _sliding(arch: str, layer: int, window: int) -> bool:
    """Gemma 2 alternates sliding and global layers, Gemma 3 has five sliding per global one; others
    slide everywhere when the file declares a window."""
    if not window:
        return False
    if arch == "gemma2":
        return layer % 2 == 0
    if arch == "gemma3":
        return layer % 6 < 5
    return True


class _Rope:
    """Rotation by position as llama.cpp computes it for the file's architecture and scaling."""

    def __init__(self, field: Callable[..., Any], arch: str, hd: int, tensors: Any, weight: Callable[[str], np.ndarray]):
        key = f"{arch}.rope."
        self.arch, self.dim = arch, int(field(key + "dimension_count", hd))
        self.theta = float(field(key + "freq_base", 10000.0))
        self.local_theta = float(field(key + "freq_base_swa", 10000.0)) if arch == "gemma3" else None
        self.scaling = field(key + "scaling.type", "none") or "none"
        self.field, self.key = field, key
        self.factors: np.ndarray | float = 1.0
        if "rope_freqs.weight" in tensors:
            self.factors = weight("rope_freqs.weight").astype(np.float64)
        if "rope_factors_long.weight" in tensors:
            self.scaling = "longrope"
            original = int(field(key + "scaling.original_context_length"))
            context = min(int(field(f"{arch}.context_length")), 32768)  # the context the converter targets
            name = "rope_factors_long.weight" if context > original else "rope_factors_short.weight"
            self.factors = weight(name).astype(np.float64)

    def angles(self, s: int, local: bool) -> tuple[np.ndarray, float]:
        """Angles [s, dim/2] and the magnitude cos/sin are scaled by."""
        d = self.dim
        if local and self.local_theta is not None:  # Gemma 3's sliding layers: own base, unscaled
            return np.outer(np.arange(s), self.local_theta ** (-np.arange(0, d, 2, dtype=np.float64) / d)), 1.0
        freq = self.theta ** (-np.arange(0, d, 2, dtype=np.float64) / d) / self.factors
        magnitude = 1.0
        if self.scaling == "linear":
            freq = freq / float(self.field(self.key + "scaling.factor"))
        elif self.scaling == "yarn":
            factor = float(self.field(self.key + "scaling.factor"))
            original = int(self.field(self.key + "scaling.original_context_length"))

            def dim_for(rotations: float) -> float:  # the dimension making ``rotations`` turns over the original context
                return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(self.theta))

            low = max(0, math.floor(dim_for(float(self.field(self.key + "scaling.yarn_beta_fast", 32.0)))))
            high = min(d - 1, math.ceil(dim_for(float(self.field(self.key + "scaling.yarn_beta_slow", 1.0)))))
            keep = (1 - np.clip((np.arange(d // 2) - low) / max(0.001, high - low), 0, 1)) * float(
                self.field(self.key + "scaling.yarn_ext_factor", 1.0)
            )
            freq = freq * keep + freq / factor * (1 - keep)
            # ggml scales by 1 + 0.1 ln factor; a yarn_log_multiplier m divides that by 1 + 0.1 m ln factor
            log_mul = float(self.field(self.key + "scaling.yarn_log_multiplier", 0.0))
            magnitude = (
                float(self.field(self.key + "scaling.attn_factor", 1.0))
                * (1 + 0.1 * math.log(factor))
                / (1 + 0.1 * log_mul * math.log(factor))
            )
        elif self.scaling == "longrope":
            magnitude = float(self.field(self.key + "scaling.attn_factor", 1.0))
        return np.outer(np.arange(s), freq), magnitude

    def __call__(self, x: np.ndarray, local: bool = False) -> np.ndarray:
        """Rotate the first ``dim`` dimensions of x [heads, S, head_dim]."""
        angles, magnitude = self.angles(x.shape[1], local)
        cos, sin = (magnitude * np.cos(angles)).astype(np.float32), (magnitude * np.sin(angles)).astype(np.float32)
        d = self.dim
        rot, rest = x[..., :d], x[..., d:]
        if self.arch in PAIRWISE:
            a, b = rot[..., 0::2], rot[..., 1::2]
            out = np.empty_like(rot)
            out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
        else:
            a, b = rot[..., : d // 2], rot[..., d // 2 :]
            out = np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
        return np.concatenate([out, rest], axis=-1)


def _project(h: np.ndarray, weight: Callable[[str], np.ndarray], name: str, tensors: Any) -> np.ndarray:
    y: np.ndarray = h @ weight(name + ".weight").T
    return y + weight(name + ".bias") if name + ".bias" in tensors else y


def _rms(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    normed: np.ndarray = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w
    return normed


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    y: np.ndarray = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return y
