"""GGML weight formats: dequantization per their definitions, and lossless repacking for MatMulNBits.

Every supported quantized type is rewritten, without rounding anything, as

    w[n, k] = scale[n, b] * (u[n, k] - 2**(bits-1)) + offset[n, b]      (b = k // block)

where ``u`` are unsigned codes MatMulNBits and GatherBlockQuantized read with their default zero
point (8 for 4-bit, 128 for 8-bit). A non-zero ``offset`` (Q4_1, Q4_K: ``w = d·q + m``) cannot be
an integer zero point, and a float zero point drops onnxruntime off its fast kernels, so the graph
adds it separately as ``blocksum(x) @ offsetᵀ``. Choices per type:

* Q8_0 → 8-bit, block 32, u = q + 128.           * Q4_0 → 4-bit, block 32, u = q.
* Q4_1 → 4-bit, block 32, u = q, offset m + 8d.  * Q4_K → 4-bit, block 32 (its sub-blocks), scale
  d·sc, offset 8·d·sc − dmin·mn.                 * Q6_K → 8-bit, block 16 (its sub-blocks), scale
  d·sc, u = q + 96 (6-bit codes fit 8-bit exactly; per-16 scales rule out block 32).
* F32, F16, BF16 → not quantized: plain fp32 weights, exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...protocol.errors import ErrorName, NavError

# GGML type name → (elements per block, bytes per block)
BLOCKS = {
    "Q8_0": (32, 34),
    "Q4_0": (32, 18),
    "Q4_1": (32, 20),
    "Q4_K": (256, 144),
    "Q6_K": (256, 210),
}
DENSE = ("F32", "F16", "BF16")
SUPPORTED = DENSE + tuple(BLOCKS)


def unsupported(name: str, kind: str) -> NavError:
    return NavError(
        ErrorName.NOT_SUPPORTED,
        f"tensor {name} has type {kind}, which is not supported (supported: {', '.join(SUPPORTED)})",
    )


@dataclass
class Blockwise:
    """Codes, scales and optional per-block offsets of one [N, K] matrix, in MatMulNBits layout."""

    bits: int
    block: int
    codes: np.ndarray  # uint8 [N, K] unpacked codes u
    scales: np.ndarray  # float32 [N, K // block]
    offsets: np.ndarray | None  # float32 [N, K // block], or None

    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape

    def packed(self) -> np.ndarray:
        """uint8 [N, K // block, block * bits // 8]: 4-bit codes two per byte, low nibble first."""
        n, k = self.codes.shape
        if self.bits == 8:
            return self.codes.reshape(n, k // self.block, self.block)
        pairs = self.codes.reshape(n, k // 2, 2)
        packed: np.ndarray = (pairs[..., 0] | (pairs[..., 1] << 4)).reshape(n, k // self.block, self.block // 2)
        return packed

    def dense(self) -> np.ndarray:
        n, k = self.codes.shape
        zero = 1 << (self.bits - 1)
        blocks = self.codes.reshape(n, k // self.block, self.block).astype(np.float32) - zero
        w = blocks * self.scales[..., None]
        if self.offsets is not None:
            w = w + self.offsets[..., None]
        dense: np.ndarray = w.reshape(n, k)
        return dense


def _f16(raw: np.ndarray, start: int) -> np.ndarray:
    """The fp16 at byte ``start`` of every block, as float32 [blocks, 1]."""
    return np.ascontiguousarray(raw[:, start : start + 2]).view(np.float16).astype(np.float32)


def _nibbles(qs: np.ndarray) -> np.ndarray:
    """GGML's 32-element nibble layout: low nibbles are elements 0..15, high nibbles 16..31."""
    return np.concatenate([qs & 0x0F, qs >> 4], axis=-1)


def _q4k_scales(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The eight 6-bit (scale, min) pairs packed into Q4_K's 12 bytes (GGML's get_scale_min_k4)."""
    sc = np.empty((s.shape[0], 8), np.uint8)
    mn = np.empty((s.shape[0], 8), np.uint8)
    sc[:, :4] = s[:, 0:4] & 63
    mn[:, :4] = s[:, 4:8] & 63
    sc[:, 4:] = (s[:, 8:12] & 0x0F) | ((s[:, 0:4] >> 6) << 4)
    mn[:, 4:] = (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)
    return sc, mn


def _q6k_codes(raw: np.ndarray) -> np.ndarray:
    """Q6_K's 6-bit codes (0..63) of each 256-block, in element order: [blocks, 256]."""
    ql, qh = raw[:, :128], raw[:, 128:192]
    halves = []
    for h in range(2):
        lo, hi = ql[:, 64 * h : 64 * h + 64], qh[:, 32 * h : 32 * h + 32]
        halves += [
            (lo[:, :32] & 0x0F) | (((hi >> 0) & 3) << 4),
            (lo[:, 32:] & 0x0F) | (((hi >> 2) & 3) << 4),
            (lo[:, :32] >> 4) | (((hi >> 4) & 3) << 4),
            (lo[:, 32:] >> 4) | (((hi >> 6) & 3) << 4),
        ]
    return np.concatenate(halves, axis=1)


def blockwise(kind: str, raw: np.ndarray, n: int, k: int) -> Blockwise:
    """Repack GGML blocks (``raw``: uint8 [N, bytes per row]) as exact MatMulNBits codes and scales."""
    size = BLOCKS[kind][1]
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, size)
    if kind == "Q8_0":
        codes = blocks[:, 2:].view(np.int8).astype(np.int16) + 128
        return Blockwise(8, 32, codes.astype(np.uint8).reshape(n, k), _f16(blocks, 0).reshape(n, -1), None)
    if kind == "Q4_0":
        return Blockwise(4, 32, _nibbles(blocks[:, 2:]).reshape(n, k), _f16(blocks, 0).reshape(n, -1), None)
    if kind == "Q4_1":
        d, m = _f16(blocks, 0), _f16(blocks, 2)
        return Blockwise(4, 32, _nibbles(blocks[:, 4:]).reshape(n, k), d.reshape(n, -1), (m + 8 * d).reshape(n, -1))
    if kind == "Q4_K":
        d, dmin = _f16(blocks, 0), _f16(blocks, 2)
        sc, mn = _q4k_scales(blocks[:, 4:16])
        scale = d * sc.astype(np.float32)
        low = dmin * mn.astype(np.float32)
        # Each 32-byte chunk of qs holds sub-block 2c in its low nibbles and 2c+1 in its high ones.
        qs = blocks[:, 16:].reshape(-1, 4, 1, 32)
        codes = np.concatenate([qs & 0x0F, qs >> 4], axis=2)
        return Blockwise(4, 32, codes.reshape(n, k), scale.reshape(n, -1), (8 * scale - low).reshape(n, -1))
    if kind == "Q6_K":
        d = _f16(blocks, 208)
        scale = d * blocks[:, 192:208].view(np.int8).astype(np.float32)
        codes = _q6k_codes(blocks) + 96
        return Blockwise(8, 16, codes.reshape(n, k), scale.reshape(n, -1), None)
    raise KeyError(kind)


def dense(kind: str, raw: np.ndarray, n: int, k: int) -> np.ndarray:
    """The float32 [N, K] weights of any supported type."""
    raw = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1)
    if kind == "F32":
        return raw.view(np.float32).reshape(n, k)
    if kind == "F16":
        return raw.view(np.float16).astype(np.float32).reshape(n, k)
    if kind == "BF16":
        return (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32).reshape(n, k)
    return blockwise(kind, raw, n, k).dense()
