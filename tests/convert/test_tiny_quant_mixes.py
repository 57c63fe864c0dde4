"""Whole conversions of small random models in the type mixes llama.cpp's quantization presets write.

A Q4_K_M file is not all Q4_K: llama.cpp keeps attn_v, ffn_down and the head in wider formats.
Each mix below puts the formats a preset uses in the roles it uses them, covering the embedding,
the tied or separate head and projections fused across formats, and is checked against the fp32
reference at both activation precisions.
"""

from __future__ import annotations

import numpy as np
import pytest

from navllm.bench.reference import logits
from navllm.models.convert import convert_gguf
from tests.convert import tiny_gguf
from tests.convert.reference import Runner

MIXES = {
    # Q4_K everywhere but a Q6_K attn_v and head and a Q5_0 ffn_down (llama.cpp's fallback for
    # rows that are no multiple of 256).
    "Q4_K_M": {
        "tied": False,
        "types": {
            "token_embd": "Q4_K",
            "attn_q": "Q4_K",
            "attn_k": "Q4_K",
            "attn_v": "Q6_K",
            "attn_output": "Q4_K",
            "ffn_gate": "Q4_K",
            "ffn_up": "Q4_K",
            "ffn_down": "Q5_0",
            "output": "Q6_K",
        },
    },
    # Q5_K (8-bit codes with offsets) embedding tied into the head; fused Q5_K Q/K and gate+up.
    "Q5_K_M": {
        "tied": True,
        "types": {
            "token_embd": "Q5_K",
            "attn_q": "Q5_K",
            "attn_k": "Q5_K",
            "attn_v": "Q6_K",
            "attn_output": "Q5_K",
            "ffn_gate": "Q5_K",
            "ffn_up": "Q5_K",
            "ffn_down": "Q6_K",
        },
    },
    # Q3_K (4-bit, block 16) embedding tied into the head; wider attn_v, attn_output, ffn_down.
    "Q3_K_M": {
        "tied": True,
        "types": {
            "token_embd": "Q3_K",
            "attn_q": "Q3_K",
            "attn_k": "Q3_K",
            "attn_v": "Q5_K",
            "attn_output": "Q4_K",
            "ffn_gate": "Q3_K",
            "ffn_up": "Q3_K",
            "ffn_down": "Q5_K",
        },
    },
    # Q2_K (4-bit, block 16, offsets) embedding tied into the head.
    "Q2_K": {
        "tied": True,
        "types": {
            "token_embd": "Q2_K",
            "attn_q": "Q2_K",
            "attn_k": "Q2_K",
            "attn_v": "Q3_K",
            "attn_output": "Q3_K",
            "ffn_gate": "Q2_K",
            "ffn_up": "Q2_K",
            "ffn_down": "Q4_K",
        },
    },
    # IQ4_NL embedding, a separate IQ4_XS head; Q/K/V in three 8-bit block-32 formats, fused.
    "IQ4": {
        "tied": False,
        "types": {
            "token_embd": "IQ4_NL",
            "attn_q": "IQ4_XS",
            "attn_k": "IQ4_NL",
            "attn_v": "Q8_0",
            "attn_output": "IQ4_XS",
            "ffn_gate": "IQ4_XS",
            "ffn_up": "IQ4_XS",
            "ffn_down": "IQ4_NL",
            "output": "IQ4_XS",
        },
    },
    # Q5_1 (offsets) embedding tied into the head; fused Q5_0 Q/K/V and Q5_1 gate+up.
    "legacy": {
        "tied": True,
        "types": {
            "token_embd": "Q5_1",
            "attn_q": "Q5_0",
            "attn_k": "Q5_0",
            "attn_v": "Q5_0",
            "attn_output": "Q5_1",
            "ffn_gate": "Q5_1",
            "ffn_up": "Q5_1",
            "ffn_down": "Q5_0",
        },
    },
}
IDS = [5, 260, 17, 266, 88, 140, 9, 201, 33, 77]
PROMPT = 6  # fed as one chunk, the rest one token at a time


@pytest.fixture(scope="module", params=sorted(MIXES))
def mix(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    gguf_path = tiny_gguf.write(folder / "model.gguf", arch="llama", **MIXES[request.param])
    return request.param, gguf_path, logits(gguf_path, IDS)[PROMPT - 1 :]


def _run(out, shared: bool) -> np.ndarray:
    runner = Runner(out, shared=shared, max_len=32)
    return np.stack([runner.step(IDS[:PROMPT])] + [runner.step([t]) for t in IDS[PROMPT:]])


def test_fp32_activations_match_reference(mix, tmp_path):
    """accuracy_level 1 with fp32 activations in the 8-bit projections too: the weights are exact."""
    name, gguf_path, ref = mix
    convert_gguf(gguf_path, tmp_path / "onnx", lambda f, s: None, accuracy_level=1, int8_for_8bit=False)
    for shared in (True, False):
        ours = _run(tmp_path / "onnx", shared)
        np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5 * np.abs(ref).max(), err_msg=name)


@pytest.mark.parametrize("level", [4, 1])
def test_user_graphs_keep_decided_tokens(mix, tmp_path, level):
    """The graphs users get: the default (int8 activations) and ``--accuracy-level 1`` (fp32
    activations for 4-bit weights, int8 for 8-bit ones). Int8 activations move these random
    models' logits by up to 7% of their range (9% for a model all in Q8_0), so the bound is
    loose; where the reference's best token leads by 5% of the range, it stays best."""
    name, gguf_path, ref = mix
    convert_gguf(gguf_path, tmp_path / "onnx", lambda f, s: None, accuracy_level=level)
    ours = _run(tmp_path / "onnx", shared=True)
    scale = np.abs(ref).max()
    assert np.abs(ours - ref).max() < 0.12 * scale, name
    top2 = np.sort(ref, axis=-1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 0.05 * scale
    assert decided.sum() >= 2, name  # the check below must compare something
    np.testing.assert_array_equal(ours.argmax(-1)[decided], ref.argmax(-1)[decided], err_msg=name)
