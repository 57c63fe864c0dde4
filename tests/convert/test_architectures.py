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


def test_refuses_interleaved_partial_rotation(tmp_path):
    err = _refusal(tmp_path, rope_dim=32)
    assert err.name == ErrorName.NOT_SUPPORTED and "32 of 64" in err.message
