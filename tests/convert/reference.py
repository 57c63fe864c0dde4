"""An independent fp32 numpy forward pass of a GGUF Llama/Qwen2 model, and an onnxruntime runner.

The reference dequantizes with the ``gguf`` package's own numpy code (not ours), applies rotary
embeddings in the layout llama.cpp uses for the architecture, and computes full causal attention.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def weight(src, name: str) -> np.ndarray:
    """A tensor dequantized by the ``gguf`` package, in row-major shape."""
    import gguf

    kind = getattr(gguf.GGMLQuantizationType, src.tensor_type(name))
    return gguf.quants.dequantize(np.array(src.raw(name)), kind).astype(np.float32).reshape(src.shape(name))


def _rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def _rope(x, theta, interleaved, factors):
    """x: [heads, S, d] rotated by position; ``factors`` divide the frequencies (Llama 3.1)."""
    s, d = x.shape[1], x.shape[2]
    inv = theta ** (-np.arange(0, d, 2, dtype=np.float64) / d) / factors
    ang = np.outer(np.arange(s), inv)
    cos, sin = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
        return out
    a, b = x[..., : d // 2], x[..., d // 2 :]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def forward(src, ids: list[int]) -> np.ndarray:
    """Logits [S, vocab] for every position of ``ids`` (``src``: a GGUFSource)."""
    arch = src.get("general.architecture")
    meta = lambda k, d=None: src.get(f"{arch}.{k}", d)  # noqa: E731
    layers, heads = int(meta("block_count")), int(meta("attention.head_count"))
    kv_heads = int(meta("attention.head_count_kv", heads))
    eps, theta = float(meta("attention.layer_norm_rms_epsilon")), float(meta("rope.freq_base", 10000.0))
    T = src.tensors
    W = lambda name: weight(src, name)  # noqa: E731
    x = W("token_embd.weight")[ids]
    s, hidden = x.shape
    hd = hidden // heads
    factors = W("rope_freqs.weight").astype(np.float64) if "rope_freqs.weight" in T else 1.0
    mask = np.triu(np.full((s, s), -np.inf, np.float32), 1)
    for i in range(layers):
        p = f"blk.{i}."
        h = _rms(x, W(p + "attn_norm.weight"), eps)
        proj = {}
        for t in "qkv":
            y = h @ W(p + f"attn_{t}.weight").T
            if p + f"attn_{t}.bias" in T:
                y = y + W(p + f"attn_{t}.bias")
            proj[t] = y
        q = proj["q"].reshape(s, heads, hd).transpose(1, 0, 2)
        k = proj["k"].reshape(s, kv_heads, hd).transpose(1, 0, 2)
        v = proj["v"].reshape(s, kv_heads, hd).transpose(1, 0, 2)
        q, k = _rope(q, theta, arch == "llama", factors), _rope(k, theta, arch == "llama", factors)
        group = heads // kv_heads
        k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + attn.transpose(1, 0, 2).reshape(s, hidden) @ W(p + "attn_output.weight").T
        h = _rms(x, W(p + "ffn_norm.weight"), eps)
        gate, up = h @ W(p + "ffn_gate.weight").T, h @ W(p + "ffn_up.weight").T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ W(p + "ffn_down.weight").T
    x = _rms(x, W("output_norm.weight"), eps)
    head = W("output.weight" if "output.weight" in T else "token_embd.weight")
    return x @ head.T


class Runner:
    """Feeds a converted model one chunk at a time, as the engine does.

    ``shared=True`` binds one preallocated [1, kvHeads, max_len, headDim] buffer per layer as both
    past and present (GroupQueryAttention's shared-buffer mode); otherwise presents are fed back
    as numpy arrays.
    """

    def __init__(self, model_dir: Path, shared: bool, max_len: int = 512, accuracy_level: int | None = None):
        import onnxruntime as ort

        self.meta = json.loads((Path(model_dir) / "navllm-model.json").read_text())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        self.session = ort.InferenceSession(str(Path(model_dir) / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self.shared = shared
        self.total = 0
        m = self.meta
        shape = (1, m["kvHeads"], max_len if shared else 0, m["headDim"])
        self.names = [f"{i}.{kv}" for i in range(m["layers"]) for kv in ("key", "value")]
        if shared:
            self.cache = {n: ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, np.float32)) for n in self.names}
        else:
            self.cache = {n: np.zeros(shape, np.float32) for n in self.names}

    def step(self, ids: list[int]) -> np.ndarray:
        """Logits [vocab] after feeding ``ids``."""
        self.total += len(ids)
        input_ids = np.array([ids], np.int64)
        mask = np.ones((1, self.total), np.int64)
        if not self.shared:
            feeds = {"input_ids": input_ids, "attention_mask": mask}
            feeds.update({f"past_key_values.{n}": a for n, a in self.cache.items()})
            outs = dict(zip([o.name for o in self.session.get_outputs()], self.session.run(None, feeds)))
            self.cache = {n: outs[f"present.{n}"] for n in self.names}
            return outs["logits"][0, -1]
        binding = self.session.io_binding()
        binding.bind_cpu_input("input_ids", input_ids)
        binding.bind_cpu_input("attention_mask", mask)
        binding.bind_output("logits")  # first bound, so first in copy_outputs_to_cpu()
        for n, buf in self.cache.items():
            binding.bind_ortvalue_input(f"past_key_values.{n}", buf)
            binding.bind_ortvalue_output(f"present.{n}", buf)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0][0, -1]
