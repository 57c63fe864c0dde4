"""Each GGML format against the gguf package's dequantization (itself checked against a literal
per-element transcription of the older formats' definitions), and through the ONNX ops that
consume our repacking (MatMulNBits, GatherBlockQuantized)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from navllm.models.convert import quants
from navllm.models.convert.graph import GraphBuilder
from tests.convert.tiny_blocks import random_blocks

N, K = 48, 512


def _f16(b, i) -> float:
    return float(np.frombuffer(bytes(b[i : i + 2]), np.float16)[0])


def _signed(byte: int) -> int:
    return (byte ^ 0x80) - 0x80


def _q8_0(b):
    d = _f16(b, 0)
    return [d * _signed(b[2 + j]) for j in range(32)]


def _q4_0(b):
    d, y = _f16(b, 0), [0.0] * 32
    for j in range(16):
        y[j] = ((b[2 + j] & 0x0F) - 8) * d
        y[j + 16] = ((b[2 + j] >> 4) - 8) * d
    return y


def _q4_1(b):
    d, m, y = _f16(b, 0), _f16(b, 2), [0.0] * 32
    for j in range(16):
        y[j] = (b[4 + j] & 0x0F) * d + m
        y[j + 16] = (b[4 + j] >> 4) * d + m
    return y


def _scale_min_k4(j, q):
    if j < 4:
        return q[j] & 63, q[j + 4] & 63
    return (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)


def _q4_k(b):
    d, dmin, scales, q, y = _f16(b, 0), _f16(b, 2), b[4:16], b[16:144], []
    for i in range(4):
        sc, m = _scale_min_k4(2 * i, scales)
        d1, m1 = d * sc, dmin * m
        sc, m = _scale_min_k4(2 * i + 1, scales)
        d2, m2 = d * sc, dmin * m
        chunk = q[32 * i : 32 * i + 32]
        y += [d1 * (c & 0x0F) - m1 for c in chunk]
        y += [d2 * (c >> 4) - m2 for c in chunk]
    return y


def _q6_k(b):
    ql, qh, sc, d = b[0:128], b[128:192], [_signed(v) for v in b[192:208]], _f16(b, 208)
    y = [0.0] * 256
    for h, n in enumerate((0, 128)):
        lo, hi, s = ql[64 * h :], qh[32 * h :], sc[8 * h :]
        for k in range(32):
            i = k // 16
            q1 = ((lo[k] & 0xF) | (((hi[k] >> 0) & 3) << 4)) - 32
            q2 = ((lo[k + 32] & 0xF) | (((hi[k] >> 2) & 3) << 4)) - 32
            q3 = ((lo[k] >> 4) | (((hi[k] >> 4) & 3) << 4)) - 32
            q4 = ((lo[k + 32] >> 4) | (((hi[k] >> 6) & 3) << 4)) - 32
            y[n + k] = d * s[i] * q1
            y[n + k + 32] = d * s[i + 2] * q2
            y[n + k + 64] = d * s[i + 4] * q3
            y[n + k + 96] = d * s[i + 6] * q4
    return y


DEFINITIONS = {"Q8_0": _q8_0, "Q4_0": _q4_0, "Q4_1": _q4_1, "Q4_K": _q4_k, "Q6_K": _q6_k}


def _by_definition(kind, raw) -> np.ndarray:
    size = quants.BLOCKS[kind][1]
    blocks = [list(map(int, blk)) for blk in raw.reshape(-1, size)]  # plain ints, as C promotes them
    return np.array([v for blk in blocks for v in DEFINITIONS[kind](blk)], np.float64).reshape(N, K)


def _random(kind) -> np.ndarray:
    return random_blocks(kind, N, K, np.random.default_rng(zlib.crc32(kind.encode())))


def _gguf(kind, raw) -> np.ndarray:
    import gguf.quants

    return gguf.quants.dequantize(raw, getattr(gguf.GGMLQuantizationType, kind)).reshape(N, K)


@pytest.mark.parametrize("kind", sorted(DEFINITIONS))
def test_gguf_reads_the_definition(kind):
    raw = _random(kind)
    np.testing.assert_allclose(_gguf(kind, raw), _by_definition(kind, raw), rtol=1e-6, atol=1e-7)


@pytest.fixture(params=sorted(quants.BLOCKS), scope="module")
def quantized(request):
    """A random tensor of each format, and its weights as the gguf package dequantizes them."""
    kind = request.param
    raw = _random(kind)
    return kind, raw, _gguf(kind, raw).astype(np.float64)


# Their offsets are regrouped (m + 8d, 8·d·sc − dmin·mn), so the sums round differently in float32.
REGROUPED = {"Q4_1", "Q4_K"}


def test_dequantization_matches_gguf(quantized):
    kind, raw, expected = quantized
    ours = quants.dense(kind, raw, N, K)
    if kind in REGROUPED:
        np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)
    else:  # the same float32 products and sums: equal to the last bit
        np.testing.assert_array_equal(ours, expected.astype(np.float32))


def test_every_format_has_ggmls_block_size():
    import gguf

    for kind, size in quants.BLOCKS.items():
        assert gguf.GGML_QUANT_SIZES[getattr(gguf.GGMLQuantizationType, kind)] == size, kind


def _run(builder: GraphBuilder, output: str, feeds: dict) -> np.ndarray:
    import onnxruntime as ort
    from onnx import TensorProto, helper

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT if v.dtype == np.float32 else TensorProto.INT64, list(v.shape))
        for name, v in feeds.items()
    ]
    model = builder.finish("g", inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run([output], feeds)[0]


def test_matmulnbits_packing_is_exact(quantized):
    kind, raw, expected = quantized
    x = np.random.default_rng(1).normal(size=(1, 5, K)).astype(np.float32)
    g = GraphBuilder(accuracy_level=1, int8_for_8bit=False)
    y = _run(g, g.linear("x", quants.blockwise(kind, raw, N, K), "w"), {"x": x})
    ref = x.astype(np.float64) @ expected.T
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_int8_activations_stay_close(quantized):
    kind, raw, expected = quantized
    x = np.random.default_rng(2).normal(size=(1, 5, K)).astype(np.float32)
    g = GraphBuilder(accuracy_level=4)
    y = _run(g, g.linear("x", quants.blockwise(kind, raw, N, K), "w"), {"x": x})
    ref = x.astype(np.float64) @ expected.T
    assert np.abs(y - ref).max() < 0.02 * np.abs(ref).max()


def test_gather_block_quantized_embedding_is_exact(quantized):
    kind, raw, expected = quantized
    ids = np.array([[0, 7, N - 1, 7]], np.int64)
    g = GraphBuilder(accuracy_level=4)
    out, _ = g.embedding("ids", quants.blockwise(kind, raw, N, K), K)
    np.testing.assert_allclose(_run(g, out, {"ids": ids}), expected[ids], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["F32", "F16", "BF16"])
def test_float_weights_stay_float(kind):
    from tests.convert.tiny_blocks import tensor_bytes

    raw = tensor_bytes(kind, N, K, np.random.default_rng(3))
    w = quants.dense(kind, raw.view(np.uint8), N, K)
    expected = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32) if kind == "BF16" else raw.astype(np.float32)
    np.testing.assert_array_equal(w, expected.reshape(N, K))
