"""Random but valid GGML tensor data for tiny test models, one function per format family.

Codes are random; scales are small positive fp16s so activations stay tame through a few layers.
"""

from __future__ import annotations

import numpy as np

from navllm.models.convert.quants import BLOCKS


def random_blocks(kind: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Valid GGML blocks for an [n, k] weight: random codes, small positive fp16 scales."""
    per_block, size = BLOCKS[kind]
    blocks = rng.integers(0, 256, (n * k // per_block, size), dtype=np.uint8)

    def put(offset, values):
        blocks[:, offset : offset + 2] = np.asarray(values, np.float16).reshape(-1, 1).view(np.uint8)

    count = len(blocks)
    if kind in ("Q8_0", "Q4_0"):
        put(0, rng.uniform(0.002, 0.01, count))
    elif kind == "Q4_1":
        put(0, rng.uniform(0.002, 0.01, count))
        put(2, rng.uniform(-0.06, 0.0, count))
    elif kind == "Q4_K":
        put(0, rng.uniform(1e-4, 3e-4, count))
        put(2, rng.uniform(1e-4, 8e-4, count))
    elif kind == "Q6_K":
        put(208, rng.uniform(1e-4, 3e-4, count))
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
