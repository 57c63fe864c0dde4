"""GGML weight formats: dequantization per their definitions, and lossless repacking for MatMulNBits.

Every supported quantized type is rewritten, without rounding anything, as

    w[n, k] = scale[n, b] * (u[n, k] - 2**(bits-1)) + offset[n, b]      (b = k // block)

where ``u`` are unsigned codes MatMulNBits and GatherBlockQuantized read with their default zero
point (8 for 4-bit, 128 for 8-bit). A non-zero ``offset`` (``w = d·q + m`` formats) cannot be
an integer zero point, and a float zero point drops onnxruntime off its fast kernels, so the graph
adds it separately as ``blocksum(x) @ offsetᵀ``.

Codes of up to 4 bits stay 4-bit; 5- and 6-bit codes and the IQ4 codebook's int8 values take
8-bit codes (MatMulNBits has no 5- or 6-bit kernels, and 8-bit holds them exactly). The block is
the format's own (sub-)block, so each scale is one GGML scale, exactly; a 16-element block
(Q2_K, Q3_K, Q6_K) is the smallest MatMulNBits and GatherBlockQuantized take, and both have
kernels for it. Choices per type:

* Q8_0 → 8-bit, block 32, u = q + 128.
* Q4_0 → 4-bit, block 32, u = q.
* Q4_1 → 4-bit, block 32, u = q, offset m + 8d.
* Q5_0 → 8-bit, block 32, u = q + 112 (d·(q − 16)).
* Q5_1 → 8-bit, block 32, u = q + 128, offset m.
* Q2_K → 4-bit, block 16 (its sub-blocks), scale d·sc, u = q + 8, offset −dmin·mn: 2-bit codes
  in 4 bits rather than 8 halve the memory, and 16-element scales rule out block 32.
* Q3_K → 4-bit, block 16 (its sub-blocks), scale d·(sc − 32), u = q + 8 (q in −4..3).
* Q4_K → 4-bit, block 32 (its sub-blocks), scale d·sc, offset 8·d·sc − dmin·mn.
* Q5_K → 8-bit, block 32 (its sub-blocks), scale d·sc, u = q + 128, offset −dmin·mn.
* Q6_K → 8-bit, block 16 (its sub-blocks), scale d·sc, u = q + 96.
* IQ4_NL → 8-bit, block 32, u = kvalue[q] + 128: the non-linear codebook (−127..113) is no
  affine map of 4-bit codes, so its values are stored as 8-bit codes.
* IQ4_XS → 8-bit, block 32 (its sub-blocks), scale d·(ls − 32), u = kvalue[q] + 128.
* F32, F16, BF16 → not quantized: plain fp32 weights, exact.

With fp32 scales and offsets this costs memory: bits a weight (GGUF's in brackets) are Q5_0 9
(5.5), Q5_1 10 (6), Q5_K 10 (5.5), Q6_K 10 (6.6), IQ4_NL 9 (4.5), IQ4_XS 9 (4.25), Q3_K 6 (3.4),
Q2_K 8 (2.6). Every combination used stays on onnxruntime's fast kernels: a 2048×2048 MatMulNBits
on one token (one thread, int8 activations as the graph runs 8-bit weights) takes 0.1–0.2 ms for
4- and 8-bit codes with block 16 or 32, with or without offsets, where the dequantizing fallback
(8-bit weights on fp32 activations) takes 19–40 ms.
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
    "Q5_0": (32, 22),
    "Q5_1": (32, 24),
    "Q2_K": (256, 84),
    "Q3_K": (256, 110),
    "Q4_K": (256, 144),
    "Q5_K": (256, 176),
    "Q6_K": (256, 210),
    "IQ4_NL": (32, 18),
    "IQ4_XS": (256, 136),
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


def _k_nibbles(qs: np.ndarray) -> np.ndarray:
    """Q4_K/Q5_K's 128 bytes as 256 nibbles: each 32-byte chunk holds sub-block 2c in its low
    nibbles and 2c+1 in its high ones."""
    chunks = qs.reshape(-1, 4, 1, 32)
    return np.concatenate([chunks & 0x0F, chunks >> 4], axis=2).reshape(-1, 256)


def _crumbs(qs: np.ndarray) -> np.ndarray:
    """Q2_K/Q3_K's 64 bytes as 256 2-bit fields: element 128h + 32s + p is bits 2s of byte 32h + p."""
    shifts = np.array([0, 2, 4, 6], np.uint8).reshape(4, 1)
    return ((qs.reshape(-1, 2, 1, 32) >> shifts) & 3).reshape(-1, 256)


def _bit_planes(qh: np.ndarray) -> np.ndarray:
    """Q3_K/Q5_K's 32 bytes as 256 bits: element 32i + p is bit i of byte p."""
    return np.unpackbits(qh[..., None], axis=-1, bitorder="little").swapaxes(1, 2).reshape(-1, 256)


def _q4k_scales(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The eight 6-bit (scale, min) pairs packed into Q4_K's 12 bytes (GGML's get_scale_min_k4)."""
    sc = np.empty((s.shape[0], 8), np.uint8)
    mn = np.empty((s.shape[0], 8), np.uint8)
    sc[:, :4] = s[:, 0:4] & 63
    mn[:, :4] = s[:, 4:8] & 63
    sc[:, 4:] = (s[:, 8:12] & 0x0F) | ((s[:, 0:4] >> 6) << 4)
    mn[:, 4:] = (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)
    return sc, mn


def _q3k_scales(s: np.ndarray) -> np.ndarray:
    """Q3_K's sixteen 6-bit scales in 12 bytes: low nibbles of bytes 0..7 then their high nibbles,
    and 2-bit tops from bytes 8..11 (scale 4t + j takes bits 2t of byte 8 + j)."""
    low = np.concatenate([s[:, :8] & 0x0F, s[:, :8] >> 4], axis=1)
    top = (s[:, None, 8:12] >> np.array([0, 2, 4, 6], np.uint8).reshape(4, 1)) & 3
    scales: np.ndarray = low | (top.reshape(-1, 16) << 4)
    return scales


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


# GGML's kvalues_iq4nl, the IQ4 codebook, shifted by the 8-bit zero point 128 (all fit a byte).
_IQ4_CODES = (np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]) + 128).astype(np.uint8)

# Each repacking takes the blocks (uint8 [blocks, bytes per block]) and returns
# (bits, block, codes [blocks, elements per block], scales [blocks, sub-blocks], offsets or None).
_Repacked = tuple[int, int, np.ndarray, np.ndarray, "np.ndarray | None"]


def _q8_0(b: np.ndarray) -> _Repacked:
    return 8, 32, (b[:, 2:].view(np.int8).astype(np.int16) + 128).astype(np.uint8), _f16(b, 0), None


def _q4_0(b: np.ndarray) -> _Repacked:
    return 4, 32, _nibbles(b[:, 2:]), _f16(b, 0), None


def _q4_1(b: np.ndarray) -> _Repacked:
    d, m = _f16(b, 0), _f16(b, 2)
    return 4, 32, _nibbles(b[:, 4:]), d, m + 8 * d


def _q5_0(b: np.ndarray) -> _Repacked:
    q = _nibbles(b[:, 6:]) | (np.unpackbits(b[:, 2:6], axis=1, bitorder="little") << 4)
    return 8, 32, q + 112, _f16(b, 0), None  # d·(q − 16) = d·(u − 128)


def _q5_1(b: np.ndarray) -> _Repacked:
    q = _nibbles(b[:, 8:]) | (np.unpackbits(b[:, 4:8], axis=1, bitorder="little") << 4)
    return 8, 32, q + 128, _f16(b, 0), _f16(b, 2)  # d·q + m


def _q4_k(b: np.ndarray) -> _Repacked:
    sc, mn = _q4k_scales(b[:, 4:16])
    scale = _f16(b, 0) * sc.astype(np.float32)
    return 4, 32, _k_nibbles(b[:, 16:]), scale, 8 * scale - _f16(b, 2) * mn.astype(np.float32)


def _q5_k(b: np.ndarray) -> _Repacked:
    sc, mn = _q4k_scales(b[:, 4:16])
    q = _k_nibbles(b[:, 48:]) | (_bit_planes(b[:, 16:48]) << 4)
    return 8, 32, q + 128, _f16(b, 0) * sc.astype(np.float32), -(_f16(b, 2) * mn.astype(np.float32))


def _q6_k(b: np.ndarray) -> _Repacked:
    return 8, 16, _q6k_codes(b) + 96, _f16(b, 208) * b[:, 192:208].view(np.int8).astype(np.float32), None


def _q3_k(b: np.ndarray) -> _Repacked:
    # q = low 2 bits − 4 where the high-bit mask is clear, so u = q + 8 = low + 4·mask + 4 (4..11).
    u = _crumbs(b[:, 32:96]) + (_bit_planes(b[:, :32]) << 2) + 4
    return 4, 16, u, _f16(b, 108) * (_q3k_scales(b[:, 96:108]).astype(np.float32) - 32), None


def _q2_k(b: np.ndarray) -> _Repacked:
    s = b[:, :16]
    scale, low = _f16(b, 80) * (s & 0x0F).astype(np.float32), _f16(b, 82) * (s >> 4).astype(np.float32)
    return 4, 16, _crumbs(b[:, 16:80]) + 8, scale, -low  # d·sc·q − dmin·mn


def _iq4_nl(b: np.ndarray) -> _Repacked:
    return 8, 32, _IQ4_CODES[_nibbles(b[:, 2:])], _f16(b, 0), None


def _iq4_xs(b: np.ndarray) -> _Repacked:
    high = (b[:, 2:3].astype(np.uint16) | (b[:, 3:4].astype(np.uint16) << 8)) >> (2 * np.arange(8, dtype=np.uint16))
    low = np.stack([b[:, 4:8] & 0x0F, b[:, 4:8] >> 4], axis=-1).reshape(-1, 8)
    ls = low | ((high & 3).astype(np.uint8) << 4)
    codes = _IQ4_CODES[_nibbles(b[:, 8:].reshape(-1, 8, 16))]
    return 8, 32, codes.reshape(-1, 256), _f16(b, 0) * (ls.astype(np.float32) - 32), None


_REPACK = {
    "Q8_0": _q8_0,
    "Q4_0": _q4_0,
    "Q4_1": _q4_1,
    "Q5_0": _q5_0,
    "Q5_1": _q5_1,
    "Q4_K": _q4_k,
    "Q5_K": _q5_k,
    "Q6_K": _q6_k,
    "Q3_K": _q3_k,
    "Q2_K": _q2_k,
    "IQ4_NL": _iq4_nl,
    "IQ4_XS": _iq4_xs,
}


def blockwise(kind: str, raw: np.ndarray, n: int, k: int) -> Blockwise:
    """Repack GGML blocks (``raw``: uint8 [N, bytes per row]) as exact MatMulNBits codes and scales."""
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, BLOCKS[kind][1])
    bits, block, codes, scales, offsets = _REPACK[kind](blocks)
    return Blockwise(
        bits,
        block,
        codes.astype(np.uint8).reshape(n, k),
        scales.reshape(n, -1),
        None if offsets is None else offsets.reshape(n, -1),
    )


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
