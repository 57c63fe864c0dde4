"""Whole conversions of small random models: every tensor format in every role, every architecture
and rope scaling, each checked against the independent numpy forward pass."""

from __future__ import annotations

import json

import numpy as np
import pytest

from navllm.bench.reference import logits
from navllm.models.convert import convert_gguf
from tests.convert import tiny_gguf
from tests.convert.reference import Runner

VARIANTS = {
    # Q4_K embedding with offsets, tied into the head; Q/K/V in different formats (not fused);
    # Q4_1 gate+up fused with their offset correction; Q6_K down projection.
    "llama-mixed": {
        "arch": "llama",
        "tied": True,
        "types": {
            "token_embd": "Q4_K",
            "attn_q": "Q4_0",
            "attn_k": "Q4_0",
            "attn_v": "Q6_K",
            "attn_output": "Q8_0",
            "ffn_gate": "Q4_1",
            "ffn_up": "Q4_1",
            "ffn_down": "Q6_K",
        },
    },
    # Qwen2: Q/K/V biases, half-split rotary; Q6_K embedding, separate Q8_0 head; fused Q4_K QKV.
    "qwen2-kquants": {
        "arch": "qwen2",
        "tied": False,
        "types": {
            "token_embd": "Q6_K",
            "attn_q": "Q4_K",
            "attn_k": "Q4_K",
            "attn_v": "Q4_K",
            "attn_output": "Q4_0",
            "ffn_gate": "Q4_K",
            "ffn_up": "Q4_K",
            "ffn_down": "Q4_K",
        },
    },
    # Unquantized: F16 embedding and projections, BF16 and F32 elsewhere; Llama 3.1 rope factors.
    "llama-float": {
        "arch": "llama",
        "tied": True,
        "rope_freqs": True,
        "types": {
            "token_embd": "F16",
            "attn_q": "F16",
            "attn_k": "F16",
            "attn_v": "F16",
            "attn_output": "BF16",
            "ffn_gate": "F32",
            "ffn_up": "F32",
            "ffn_down": "F16",
        },
    },
    # Qwen3: per-head Q/K norms before half-split rotation, no biases.
    "qwen3": {"arch": "qwen3", "tied": True, "pre": "qwen2", "types": {"attn_q": "Q4_K", "attn_k": "Q4_K", "attn_v": "Q4_K"}},
    # YaRN: frequencies blend across the correction dimensions, cos/sin scaled by 1 + 0.1 ln 4.
    "llama-yarn": {
        "arch": "llama",
        "metadata": {"rope.scaling.type": "yarn", "rope.scaling.factor": 4.0, "rope.scaling.original_context_length": 32},
    },
    # Mistral 7B is a llama GGUF; a declared window (shorter than the test's sequence) applies to
    # every layer. Linear rope scaling, SentencePiece vocabulary; heads of 48 (not hidden / heads,
    # as Mistral Nemo's).
    "mistral-window": {
        "arch": "llama",
        "tokenizer": "llama",
        "head_dim": 48,
        "metadata": {"attention.sliding_window": 4, "rope.scaling.type": "linear", "rope.scaling.factor": 2.0},
    },
    # Mistral 3 (Ministral): YaRN with a log multiplier and attention temperature, which scales the
    # queries from position 4 on (floor: the original context of 4); tekken pre-tokenizer.
    "mistral3": {
        "arch": "mistral3",
        "pre": "tekken",
        "metadata": {
            "rope.scaling.type": "yarn",
            "rope.scaling.factor": 4.0,
            "rope.scaling.original_context_length": 4,
            "rope.scaling.yarn_log_multiplier": 1.0,
            "attention.temperature_scale": 0.5,
        },
    },
    # SmolLM3: every 4th layer has no rotary embedding.
    "smollm3": {"arch": "smollm3", "layers": 4, "pre": "llama-bpe", "attn_gain": 4.0},
    # Phi-3: fused QKV and gate+up, longrope (long factors: the context exceeds the original), window.
    "phi3": {
        "arch": "phi3",
        "tokenizer": "llama",
        "tied": False,
        "metadata": {"rope.scaling.attn_factor": 1.19, "rope.scaling.original_context_length": 64, "attention.sliding_window": 6},
    },
    # Phi-4-mini: partial rotary (48 of 64 dimensions), byte-level BPE.
    "phi4-partial-rope": {"arch": "phi3", "rope_dim": 48, "metadata": {"rope.scaling.original_context_length": 4096}},
    # Gemma 2: scaled embeddings, GELU, post-norms, every other layer in a 4-token window, small
    # soft-caps so they matter on random weights.
    "gemma2": {
        "arch": "gemma2",
        "tokenizer": "llama",
        "head_dim": 48,  # Gemma's heads are not hidden / heads wide
        "metadata": {"attention.sliding_window": 4, "attn_logit_softcapping": 0.5, "final_logit_softcapping": 3.0},
    },
    # Gemma 3: five 4-token-window layers (rope base 10000) per global one (base 1e6, linear x8), Q/K norms.
    "gemma3": {
        "arch": "gemma3",
        "tokenizer": "llama",
        "head_dim": 32,
        "layers": 6,
        "metadata": {
            "attention.sliding_window": 4,
            "rope.freq_base": 1000000.0,
            "rope.scaling.type": "linear",
            "rope.scaling.factor": 8.0,
        },
    },
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def tiny(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    gguf_path = tiny_gguf.write(folder / "model.gguf", **VARIANTS[request.param])
    out = folder / "onnx"
    stages = []
    meta = convert_gguf(gguf_path, out, lambda f, s: stages.append((f, s)), accuracy_level=1, int8_for_8bit=False)
    return request.param, gguf_path, out, meta, stages


def test_metadata_and_progress(tiny):
    name, _, out, meta, stages = tiny
    assert json.loads((out / "navllm-model.json").read_text()) == meta
    variant = VARIANTS[name]
    assert meta["architecture"] == variant["arch"]
    assert (meta["layers"], meta["heads"], meta["kvHeads"], meta["headDim"]) == (
        variant.get("layers", 2),
        4,
        2,
        variant.get("head_dim", 64),
    )
    spm = variant.get("tokenizer") == "llama"
    assert meta["vocabSize"] == len((tiny_gguf.spm_vocabulary if spm else tiny_gguf.vocabulary)()[0])
    assert meta["eosTokenIds"][0] == (2 if spm else meta["vocabSize"] - 1)
    fractions = [f for f, _ in stages]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert {"reading", "weights", "writing", "done"} <= {s for _, s in stages}


def test_logits_match_reference(tiny):
    name, gguf_path, out, _, _ = tiny
    ids = [5, 260, 17, 266, 88, 140, 9, 201, 33, 77]
    ref = logits(gguf_path, ids)
    for shared in (True, False):
        runner = Runner(out, shared=shared, max_len=32)
        ours = [runner.step(ids[:6])] + [runner.step([t]) for t in ids[6:]]
        scale = np.abs(ref).max()
        np.testing.assert_allclose(np.stack(ours), ref[5:], rtol=0, atol=2e-5 * scale, err_msg=name)
