"""Every architecture in every GGUF format the converter added for it: each tiny model written with
all its weights (embedding, projections, head) in one format converts and matches the fp32
reference exactly (fp32 activations), so a Q5_K_M Gemma or an IQ4_XS Qwen3 converts whole.

A weight whose rows are no multiple of the format's block (the attention output of the narrow-
headed variants) is written in Q8_0 instead, as llama.cpp's quantizer falls back for such rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from navllm.bench.reference import logits
from navllm.models.convert import convert_gguf
from navllm.models.convert.gguf_source import GGUFSource
from tests.convert import tiny_gguf
from tests.convert.reference import Runner
from tests.convert.test_tiny_models import VARIANTS

# One variant per architecture and rope flavour (see test_tiny_models.py for what each exercises).
ARCHITECTURES = ["qwen2-kquants", "qwen3", "llama-yarn", "mistral-window", "mistral3", "smollm3", "phi3", "gemma2", "gemma3"]
FORMATS = ["Q5_0", "Q5_1", "Q5_K", "Q3_K", "Q2_K", "IQ4_NL", "IQ4_XS"]
ROLES = ["token_embd", "attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "output"]
IDS = [5, 260, 17, 266, 88, 140, 9, 201, 33, 77]
PROMPT = 6


def _types(variant: dict, kind: str) -> dict[str, str]:
    import gguf

    block = gguf.GGML_QUANT_SIZES[getattr(gguf.GGMLQuantizationType, kind)][0]
    attention_width = tiny_gguf.HEADS * variant.get("head_dim", tiny_gguf.HIDDEN // tiny_gguf.HEADS)
    types = dict.fromkeys(ROLES, kind)
    if attention_width % block:
        types["attn_output"] = "Q8_0"
    return types


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_in_format_matches_reference(name, kind, tmp_path):
    variant = {**VARIANTS[name], "types": _types(VARIANTS[name], kind)}
    gguf_path = tiny_gguf.write(tmp_path / "model.gguf", **variant)
    written = {t.kind for t in GGUFSource(gguf_path).tensors.values() if t.name.endswith(".weight") and len(t.dims) == 2}
    assert kind in written and written <= {kind, "Q8_0"}, written
    ref = logits(gguf_path, IDS)[PROMPT - 1 :]
    convert_gguf(gguf_path, tmp_path / "onnx", lambda f, s: None, accuracy_level=1, int8_for_8bit=False)
    runner = Runner(tmp_path / "onnx", shared=True, max_len=32)
    ours = np.stack([runner.step(IDS[:PROMPT])] + [runner.step([t]) for t in IDS[PROMPT:]])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5 * np.abs(ref).max(), err_msg=f"{name} in {kind}")
    # Decided positions: where the reference's best token clearly leads, it is ours too.
    top2 = np.sort(ref, axis=-1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 1e-3 * np.abs(ref).max()
    np.testing.assert_array_equal(ours.argmax(-1)[decided], ref.argmax(-1)[decided])
