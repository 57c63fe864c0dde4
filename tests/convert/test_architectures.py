"""What each architecture's graph asks of GroupQueryAttention, and what the converter refuses.

The logits themselves are checked against the numpy reference in test_tiny_models.py; these tests
pin the attributes that make that agreement mean something (a window on the right layers, the
soft-cap, the rope-less layers) and the messages a user gets for a file we cannot convert.
"""

from __future__ import annotations

import onnx
import pytest

from navllm.models.convert import convert_gguf
from navllm.protocol.errors import ErrorName, NavError
from tests.convert import tiny_gguf


def _attention(tmp_path, **options) -> list[dict]:
    """The GroupQueryAttention attributes of each layer of a converted tiny model."""
    out = tmp_path / "out"
    convert_gguf(tiny_gguf.write(tmp_path / "m.gguf", **options), out)
    model = onnx.load(str(out / "model.onnx"), load_external_data=False)
    nodes = [n for n in model.graph.node if n.op_type == "GroupQueryAttention"]
    return [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} | {"inputs": list(n.input)} for n in nodes]


def test_gemma2_alternates_window_and_caps_scores(tmp_path):
    layers = _attention(
        tmp_path,
        arch="gemma2",
        tokenizer="llama",
        layers=4,
        metadata={"attention.sliding_window": 4, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0},
    )
    assert [a.get("local_window_size", -1) for a in layers] == [4, -1, 4, -1]
    assert all(a["softcap"] == 50.0 and a["do_rotary"] == 1 for a in layers)


def test_gemma3_local_layers_read_their_own_rope_cache(tmp_path):
    layers = _attention(tmp_path, arch="gemma3", tokenizer="llama", layers=6, metadata={"attention.sliding_window": 8})
    assert [a.get("local_window_size", -1) for a in layers] == [8, 8, 8, 8, 8, -1]
    local_caches, global_caches = {tuple(a["inputs"][7:]) for a in layers[:5]}, tuple(layers[5]["inputs"][7:])
    assert len(local_caches) == 1 and global_caches not in local_caches


def test_smollm3_skips_rotation_every_fourth_layer(tmp_path):
    layers = _attention(tmp_path, arch="smollm3", layers=8, pre="llama-bpe")
    assert [a["do_rotary"] for a in layers] == [1, 1, 1, 0, 1, 1, 1, 0]


def test_gemma_27b_scales_queries_by_hidden_over_heads(tmp_path):
    from navllm.models.convert.gguf_source import GGUFSource
    from navllm.models.convert.spec import ModelSpec

    path = tiny_gguf.write(tmp_path / "m.gguf", arch="gemma2", tokenizer="llama", layers=46, metadata={"attention.sliding_window": 4})
    spec = ModelSpec.from_gguf(GGUFSource(path))
    assert spec.query_scale == pytest.approx((tiny_gguf.HIDDEN / tiny_gguf.HEADS) ** -0.5)


def _refusal(tmp_path, **options) -> NavError:
    with pytest.raises(NavError) as caught:
        convert_gguf(tiny_gguf.write(tmp_path / "m.gguf", **options), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    return caught.value


def test_refuses_unknown_rope_scaling(tmp_path):
    err = _refusal(tmp_path, metadata={"rope.scaling.type": "dynamic", "rope.scaling.factor": 2.0})
    assert err.name == ErrorName.NOT_SUPPORTED and "'dynamic'" in err.message and "yarn" in err.message


def test_refuses_longrope_outside_phi3(tmp_path):
    err = _refusal(tmp_path, metadata={"rope.scaling.type": "longrope"})
    assert err.name == ErrorName.NOT_SUPPORTED and "longrope" in err.message


def test_yarn_needs_its_original_context(tmp_path):
    err = _refusal(tmp_path, metadata={"rope.scaling.type": "yarn", "rope.scaling.factor": 4.0})
    assert err.name == ErrorName.DATA and "original_context_length" in err.message


def test_gemma_needs_its_window(tmp_path):
    err = _refusal(tmp_path, arch="gemma2", tokenizer="llama")
    assert err.name == ErrorName.DATA and "gemma2.attention.sliding_window" in err.message


def test_missing_qk_norm_is_named(tmp_path):
    path = tiny_gguf.write(tmp_path / "m.gguf", arch="qwen3", pre="qwen2")
    renamed = path.read_bytes().replace(b"blk.1.attn_k_norm.weight", b"blk.1.attn_x_norm.weight")
    path.write_bytes(renamed)
    with pytest.raises(NavError) as caught:
        convert_gguf(path, tmp_path / "out")
    assert caught.value.name == ErrorName.DATA and "blk.1.attn_k_norm.weight" in caught.value.message


def test_refuses_layers_of_different_shapes(tmp_path):
    err = _refusal(tmp_path, metadata={"attention.key_length": [64, 64]})
    assert err.name == ErrorName.NOT_SUPPORTED and "llama.attention.key_length per layer" in err.message
    err = _refusal(tmp_path, metadata={"attention.value_length": 32})
    assert err.name == ErrorName.NOT_SUPPORTED and "value heads of 32 dimensions" in err.message
    err = _refusal(tmp_path, metadata={"attention.key_length": 0})
    assert err.name == ErrorName.DATA and "llama.attention.key_length = 0" in err.message


def test_refuses_interleaved_partial_rotation(tmp_path):
    err = _refusal(tmp_path, rope_dim=32)
    assert err.name == ErrorName.NOT_SUPPORTED and "32 of 64" in err.message


def test_refuses_mixture_of_experts(tmp_path):
    path = tiny_gguf.write(tmp_path / "m.gguf", arch="mistral3")
    path.write_bytes(path.read_bytes().replace(b"blk.1.ffn_down.weight", b"blk.1.ffn_exps.weight"))
    with pytest.raises(NavError) as caught:
        convert_gguf(path, tmp_path / "out")
    assert caught.value.name == ErrorName.NOT_SUPPORTED
    assert "mixture-of-experts" in caught.value.message and "blk.1.ffn_exps.weight" in caught.value.message


def test_mistral3_temperature_follows_each_row_of_a_padded_batch(tmp_path):
    """Two conversations of different lengths, prefilled right-padded and decoded in one batch,
    get the logits each gets alone: the query temperature reads every row's own position."""
    import json

    import numpy as np
    import onnxruntime as ort

    metadata = {"rope.scaling.original_context_length": 2, "attention.temperature_scale": 0.5}
    convert_gguf(tiny_gguf.write(tmp_path / "m.gguf", arch="mistral3", metadata=metadata), tmp_path / "out")
    meta = json.loads((tmp_path / "out" / "navllm-model.json").read_text())
    session = ort.InferenceSession(str(tmp_path / "out" / "model.onnx"), providers=["CPUExecutionProvider"])
    names = [f"{i}.{kv}" for i in range(meta["layers"]) for kv in ("key", "value")]

    def run(ids, mask, past=None):
        feeds = {"input_ids": np.array(ids, np.int64), "attention_mask": mask, "logits_to_keep": np.array([1], np.int64)}
        empty = np.zeros((len(ids), meta["kvHeads"], 0, meta["headDim"]), np.float32)
        feeds |= {f"past_key_values.{n}": (past or {}).get(n, empty) for n in names}
        return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds), strict=True))

    a, b = [5, 260, 17, 266, 88, 140, 9], [33, 77, 12]
    alone = [run([r], np.ones((1, len(r)), np.int64))["logits"][0, -1] for r in (a, b)]
    width = len(a) - 1
    mask = np.array([[1] * width, [1] * (len(b) - 1) + [0] * (width - len(b) + 1)], np.int64)
    prefill = run([a[:-1], b[:-1] + [0] * (width - len(b) + 1)], mask)
    step = np.concatenate([mask, np.zeros((2, 1), np.int64)], axis=1)
    step[0, width], step[1, len(b) - 1] = 1, 1
    logits = run([[a[-1]], [b[-1]]], step, {n: prefill[f"present.{n}"] for n in names})["logits"][:, -1]
    for row, expected in zip(logits, alone, strict=True):
        np.testing.assert_allclose(row, expected, rtol=0, atol=1e-4 * np.abs(expected).max())
