"""Random but valid GGML tensor data for tiny test models, one function per format family.

Codes are random; scales are small positive fp16s so activations stay tame through a few layers.
"""

from __future__ import annotations

import numpy as np

from navllm.models.convert.quants import BLOCKS

# Each format's fp16 fields: (byte offset in the block, low, high) of a uniform draw, chosen so
# |w| stays mostly below ~0.1, as in a real model.
SCALE_FIELDS = {
    "Q8_0": [(0, 0.002, 0.01)],
    "Q4_0": [(0, 0.002, 0.01)],
    "Q4_1": [(0, 0.002, 0.01), (2, -0.06, 0.0)],
    "Q5_0": [(0, 0.001, 0.005)],
    "Q5_1": [(0, 0.001, 0.005), (2, -0.08, -0.013)],
    "Q2_K": [(80, 1e-3, 3e-3), (82, 1.5e-3, 4.5e-3)],
    "Q3_K": [(108, 3e-4, 1.2e-3)],
    "Q4_K": [(0, 1e-4, 3e-4), (2, 1e-4, 8e-4)],
    "Q5_K": [(0, 0.5e-4, 1.5e-4), (2, 0.8e-3, 2.3e-3)],
    "Q6_K": [(208, 1e-4, 3e-4)],
    "IQ4_NL": [(0, 2e-4, 6e-4)],
    "IQ4_XS": [(0, 1e-5, 4e-5)],
}


def random_blocks(kind: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Valid GGML blocks for an [n, k] weight: random codes, tame fp16 scales (SCALE_FIELDS)."""
    per_block, size = BLOCKS[kind]
    blocks = rng.integers(0, 256, (n * k // per_block, size), dtype=np.uint8)

    for offset, low, high in SCALE_FIELDS[kind]:
        values = rng.uniform(low, high, len(blocks)).astype(np.float16)
        blocks[:, offset : offset + 2] = values.reshape(-1, 1).view(np.uint8)
    return blocks.reshape(n, -1)


def tensor_bytes(kind: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    import gguf

    if kind in BLOCKS:
        return random_blocks(kind, n, k, rng)
    if kind not in ("F32", "F16", "BF16"):  # a format the converter refuses: any bytes of the right size
        per_block, size = gguf.GGML_QUANT_SIZES[getattr(gguf.GGMLQuantizationType, kind)]
        return rng.integers(0, 256, (n, k // per_block * size), dtype=np.uint8)
    w = rng.normal(0, 0.05, (n, k)).astype(np.float32)
    if kind == "F32":
        return w
    if kind == "F16":
        return w.astype(np.float16)
    return (w.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8).reshape(n, 2 * k)  # BF16
