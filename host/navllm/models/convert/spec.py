"""A model's hyperparameters read from GGUF metadata, checked against what the graph builder supports.

Each architecture is the Llama decoder plus a few switches (``Family``); where llama.cpp fixes a
value in code rather than in the file (Gemma's window pattern, SmolLM3's rope-less layers), the
same value is fixed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...protocol.errors import ErrorName, NavError
from .gguf_source import GGUFSource

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Family:
    interleaved: bool  # llama.cpp's converter permutes Q/K rows for pairwise rotation ("NORM" rope)
    qk_norm: bool = False  # per-head RMS norms of Q and K before rotation (attn_q_norm, attn_k_norm)
    post_norms: bool = False  # RMS norms of the attention and MLP outputs before the residual add
    gelu: bool = False  # GELU (tanh) gate instead of SiLU
    embed_scaled: bool = False  # embeddings multiplied by sqrt(hidden)
    swa_period: int = 0  # layers i with i % period < period - 1 use the sliding window (0: the file's window, every layer)
    no_rope_step: int = 0  # layers i with (i + 1) % step == 0 skip rotation


FAMILIES = {
    "llama": Family(interleaved=True),  # also Mistral 7B and Llama 2/3.x
    "mistral3": Family(interleaved=True),  # Ministral 3, Mistral Small 3.x: llama with attention temperature
    "qwen2": Family(interleaved=False),
    "qwen3": Family(interleaved=False, qk_norm=True),
    "smollm3": Family(interleaved=True, no_rope_step=4),
    "phi3": Family(interleaved=False),
    "gemma2": Family(interleaved=False, post_norms=True, gelu=True, embed_scaled=True, swa_period=2),
    "gemma3": Family(interleaved=False, qk_norm=True, post_norms=True, gelu=True, embed_scaled=True, swa_period=6),
}
ARCHITECTURES = tuple(FAMILIES)
ROPE_SCALINGS = ("none", "linear", "yarn", "longrope")
# Gemma's 27B models scale queries by 1/sqrt(hidden / heads) instead of 1/sqrt(head_dim); llama.cpp
# recognises them by their layer count.
GEMMA_27B_LAYERS = {"gemma2": 46, "gemma3": 62}
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
    family: Family = FAMILIES["llama"]
    rope_dim: int = 0  # rotated dimensions of each head (the first ones); 0: all
    window: int = 0  # sliding-window length in tokens, the current one included (0: none)
    local_rope_theta: float = 0.0  # rotary base of the sliding-window layers when it differs (Gemma 3)
    query_scale: float = 0.0  # attention's score scale (0: 1/sqrt(head_dim))
    attn_softcap: float = 0.0
    final_softcap: float = 0.0
    # Llama 4-style attention temperature (mistral3): queries at position p scaled by
    # 1 + temperature · ln(1 + floor(p / temperature_floor)) (llama.cpp's offset 0 for mistral3).
    temperature: float = 0.0
    temperature_floor: int = 0

    @classmethod
    def from_gguf(cls, src: GGUFSource) -> ModelSpec:
        arch = src.require("general.architecture")
        if arch not in FAMILIES:
            raise NavError(
                ErrorName.NOT_SUPPORTED,
                f"architecture {arch!r} is not supported (supported: {', '.join(ARCHITECTURES)})",
            )
        family = FAMILIES[arch]
        hidden = _count(src, f"{arch}.embedding_length")
        heads = _count(src, f"{arch}.attention.head_count")
        head_dim = _count(src, f"{arch}.attention.key_length", hidden // heads)
        value_dim = _count(src, f"{arch}.attention.value_length", head_dim)
        if value_dim != head_dim:
            raise NavError(ErrorName.NOT_SUPPORTED, f"value heads of {value_dim} dimensions beside keys of {head_dim} are not supported")
        rope_dim = _count(src, f"{arch}.rope.dimension_count", head_dim)
        if rope_dim > head_dim or rope_dim % 2:
            raise NavError(ErrorName.DATA, f"{src.path.name} rotates {rope_dim} of {head_dim} head dimensions")
        if rope_dim != head_dim and family.interleaved:
            raise NavError(ErrorName.NOT_SUPPORTED, f"partial rotary embeddings ({rope_dim} of {head_dim}) with pairwise rotation")
        _scaling_type(src, arch)  # refuses a scaling the tables cannot compute, before any heavy work
        layers = _count(src, f"{arch}.block_count")
        window = int(src.get(f"{arch}.attention.sliding_window") or 0)
        if family.swa_period and not window:
            raise NavError(ErrorName.DATA, f"{src.path.name} lacks the metadata key {arch}.attention.sliding_window")
        query_scale = 0.0
        if GEMMA_27B_LAYERS.get(arch) == layers:
            query_scale = 1.0 / math.sqrt(hidden / heads)
        temperature = float(src.get(f"{arch}.attention.temperature_scale") or 0.0)
        floor = int(src.get(f"{arch}.rope.scaling.original_context_length") or src.require(f"{arch}.context_length"))
        vocab = src.get(f"{arch}.vocab_size") or len(src.require("tokenizer.ggml.tokens"))
        return cls(
            architecture=arch,
            name=str(src.get("general.name") or src.path.stem),
            layers=layers,
            hidden=hidden,
            ffn=_count(src, f"{arch}.feed_forward_length"),
            heads=heads,
            kv_heads=_count(src, f"{arch}.attention.head_count_kv", heads),
            head_dim=head_dim,
            vocab=int(vocab),
            context=min(int(src.require(f"{arch}.context_length")), MAX_CONTEXT),
            rope_theta=float(src.get(f"{arch}.rope.freq_base", 10000.0)),
            rope_interleaved=family.interleaved,
            rms_eps=float(src.require(f"{arch}.attention.layer_norm_rms_epsilon")),
            family=family,
            rope_dim=rope_dim,
            window=window,
            local_rope_theta=float(src.get(f"{arch}.rope.freq_base_swa", 10000.0)) if arch == "gemma3" else 0.0,
            query_scale=query_scale,
            attn_softcap=float(src.get(f"{arch}.attn_logit_softcapping") or 0.0) if arch == "gemma2" else 0.0,
            final_softcap=float(src.get(f"{arch}.final_logit_softcapping") or 0.0) if arch == "gemma2" else 0.0,
            temperature=temperature if arch == "mistral3" else 0.0,
            temperature_floor=floor,
        )

    def local(self, layer: int) -> bool:
        """Whether ``layer`` attends only to the sliding window."""
        if not self.window:
            return False
        period = self.family.swa_period
        return not period or layer % period < period - 1

    def rotates(self, layer: int) -> bool:
        step = self.family.no_rope_step
        return not step or (layer + 1) % step != 0

    def rope_tables(self, src: GGUFSource, local: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """cos and sin caches [context, rope_dim / 2] for GroupQueryAttention's in-op rotation;
        ``local``: for Gemma 3's sliding-window layers (their own base, never scaled)."""
        import numpy as np

        arch, dim = self.architecture, self.rope_dim or self.head_dim
        theta = self.local_rope_theta if local and self.local_rope_theta else self.rope_theta
        inv_freq = theta ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
        scaling = "none" if local and self.local_rope_theta else _scaling_type(src, arch)
        factors = _frequency_factors(src, self, scaling)
        if factors is not None:
            inv_freq = inv_freq / factors
        magnitude = 1.0
        if scaling == "linear":
            inv_freq = inv_freq / float(src.require(f"{arch}.rope.scaling.factor"))
        elif scaling == "yarn":
            inv_freq, magnitude = _yarn(src, arch, dim, theta, inv_freq)
        elif scaling == "longrope":
            magnitude = float(src.get(f"{arch}.rope.scaling.attn_factor", 1.0))
        angles = np.outer(np.arange(self.context, dtype=np.float64), inv_freq)
        return (magnitude * np.cos(angles)).astype(np.float32), (magnitude * np.sin(angles)).astype(np.float32)


def _count(src: GGUFSource, key: str, default: int | None = None) -> int:
    """A whole-model size; files that set it per layer (an array) have layers of different shapes."""
    value = src.require(key) if default is None else src.get(key, default)
    if isinstance(value, list):
        raise NavError(ErrorName.NOT_SUPPORTED, f"{src.path.name} sets {key} per layer; only models whose layers share one shape convert")
    if not isinstance(value, int) or value <= 0:
        raise NavError(ErrorName.DATA, f"{src.path.name} has {key} = {value!r}; it must be a positive whole number")
    return value


def _scaling_type(src: GGUFSource, arch: str) -> str:
    scaling = src.get(f"{arch}.rope.scaling.type") or "none"
    if arch == "phi3" and "rope_factors_long.weight" in src.tensors:
        scaling = "longrope"  # llama.cpp's Phi-3 converter writes the factors without a type
    if scaling not in ROPE_SCALINGS or (scaling == "longrope") != (arch == "phi3"):
        raise NavError(
            ErrorName.NOT_SUPPORTED,
            f"rope scaling {scaling!r} is not supported for {arch} (supported: none, linear, yarn; longrope for phi3)",
        )
    return str(scaling)


def _frequency_factors(src: GGUFSource, spec: ModelSpec, scaling: str) -> np.ndarray | None:
    """Per-frequency divisors: Llama 3.1's ``rope_freqs``, or Phi-3's long or short factors (long
    when the converted context exceeds the original one, as llama.cpp chooses them)."""
    import numpy as np

    name = "rope_freqs.weight"
    if scaling == "longrope":
        original = int(src.get(f"{spec.architecture}.rope.scaling.original_context_length") or spec.context)
        name = "rope_factors_long.weight" if spec.context > original else "rope_factors_short.weight"
        if name not in src.tensors:
            raise NavError(ErrorName.DATA, f"{src.path.name} lacks tensor {name} for its longrope scaling")
    if name not in src.tensors:
        return None
    if src.tensor_type(name) != "F32" or src.shape(name)[-1] != (spec.rope_dim or spec.head_dim) // 2:
        raise NavError(ErrorName.DATA, f"{src.path.name}: tensor {name} is not {(spec.rope_dim or spec.head_dim) // 2} float32 factors")
    factors: np.ndarray = src.raw(name).reshape(-1).view(np.float32).astype(np.float64)
    return factors


def _yarn(src: GGUFSource, arch: str, dim: int, theta: float, inv_freq: np.ndarray) -> tuple[np.ndarray, float]:
    """YaRN as llama.cpp applies it: frequencies between the correction dimensions blend from
    extrapolated to interpolated (divided by the factor), and cos/sin are scaled by the attention
    magnitude (1 + 0.1 ln factor, times the file's attention factor)."""
    import numpy as np

    key = f"{arch}.rope.scaling."
    factor = float(src.require(key + "factor"))
    original = int(src.require(key + "original_context_length"))
    beta_fast, beta_slow = float(src.get(key + "yarn_beta_fast", 32.0)), float(src.get(key + "yarn_beta_slow", 1.0))
    ext_factor = float(src.get(key + "yarn_ext_factor", 1.0))
    if factor <= 1.0 or original <= 0:
        raise NavError(ErrorName.DATA, f"{src.path.name} has YaRN factor {factor} over {original} positions")

    def corr_dim(rotations: float) -> float:
        return dim * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(theta))

    low, high = max(0.0, math.floor(corr_dim(beta_fast))), min(dim - 1.0, math.ceil(corr_dim(beta_slow)))
    ramp = 1 - np.clip((np.arange(dim // 2) - low) / max(0.001, high - low), 0, 1)
    mix = ramp * ext_factor
    blended = inv_freq / factor * (1 - mix) + inv_freq * mix
    magnitude = float(src.get(key + "attn_factor", 1.0))
    if ext_factor:
        log_mul = float(src.get(key + "yarn_log_multiplier", 0.0))
        boost = 1 + 0.1 * math.log(factor)
        magnitude *= boost / (1 + 0.1 * log_mul * math.log(factor)) if log_mul else boost
    return blended, magnitude
