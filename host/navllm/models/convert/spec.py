"""A model's hyperparameters read from GGUF metadata, checked against what the graph builder supports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...protocol.errors import ErrorName, NavError
from .gguf_source import GGUFSource

if TYPE_CHECKING:
    import numpy as np

ARCHITECTURES = ("llama", "qwen2")
# The cos/sin tables grow with the context; beyond this many positions they cost more memory than
# any use on a user's machine is worth, so the converted model advertises at most this context.
MAX_CONTEXT = 32768


@dataclass(frozen=True)
class ModelSpec:
    architecture: str
    name: str
    layers: int
    hidden: int
    ffn: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    context: int
    rope_theta: float
    rope_interleaved: bool
    rms_eps: float

    @classmethod
    def from_gguf(cls, src: GGUFSource) -> ModelSpec:
        arch = src.require("general.architecture")
        if arch not in ARCHITECTURES:
            raise NavError(
                ErrorName.NOT_SUPPORTED,
                f"architecture {arch!r} is not supported (supported: {', '.join(ARCHITECTURES)})",
            )
        hidden = int(src.require(f"{arch}.embedding_length"))
        heads = int(src.require(f"{arch}.attention.head_count"))
        head_dim = int(src.get(f"{arch}.attention.key_length", hidden // heads))
        rope_dim = int(src.get(f"{arch}.rope.dimension_count", head_dim))
        if rope_dim != head_dim:
            raise NavError(ErrorName.NOT_SUPPORTED, f"partial rotary embeddings ({rope_dim} of {head_dim}) are not supported")
        scaling = src.get(f"{arch}.rope.scaling.type", "none")
        if scaling not in ("none", "linear"):
            raise NavError(ErrorName.NOT_SUPPORTED, f"rope scaling {scaling!r} is not supported")
        vocab = src.get(f"{arch}.vocab_size") or len(src.require("tokenizer.ggml.tokens"))
        return cls(
            architecture=arch,
            name=str(src.get("general.name") or src.path.stem),
            layers=int(src.require(f"{arch}.block_count")),
            hidden=hidden,
            ffn=int(src.require(f"{arch}.feed_forward_length")),
            heads=heads,
            kv_heads=int(src.get(f"{arch}.attention.head_count_kv", heads)),
            head_dim=head_dim,
            vocab=int(vocab),
            context=min(int(src.require(f"{arch}.context_length")), MAX_CONTEXT),
            rope_theta=float(src.get(f"{arch}.rope.freq_base", 10000.0)),
            # llama.cpp's converter permutes Llama's Q/K rows for pairwise (interleaved) rotation;
            # Qwen2 is left in the half-split ("NeoX") layout.
            rope_interleaved=arch == "llama",
            rms_eps=float(src.require(f"{arch}.attention.layer_norm_rms_epsilon")),
        )

    def rope_tables(self, src: GGUFSource) -> tuple[np.ndarray, np.ndarray]:
        """cos and sin caches [context, head_dim / 2] for GroupQueryAttention's in-op rotation."""
        import numpy as np

        arch = self.architecture
        inv_freq = self.rope_theta ** (-np.arange(0, self.head_dim, 2, dtype=np.float64) / self.head_dim)
        if "rope_freqs.weight" in src.tensors:  # Llama 3.1 style per-frequency factors
            inv_freq = inv_freq / src.raw("rope_freqs.weight").reshape(-1).view(np.float32).astype(np.float64)
        if src.get(f"{arch}.rope.scaling.type", "none") == "linear":
            inv_freq = inv_freq / float(src.require(f"{arch}.rope.scaling.factor"))
        angles = np.outer(np.arange(self.context, dtype=np.float64), inv_freq)
        return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
