"""The numpy reference against llama.cpp itself (llama-cpp-python), on the same tiny GGUFs.

The converter's tests trust ``navllm.bench.reference``; this checks that trust where llama.cpp runs
the family: with fp32 weights and an fp32 KV cache, llama.cpp's logits equal the reference's to
float rounding. Gemma's agree to 1e-3 only (3.3e-4 measured) because ggml computes GELU from an fp16
table (the error is the same at position 0, which sees no window, rope or other token); every Gemma
feature moves the logits by 0.05 or more. Not compared: the windows of llama and Phi-3 files, which
llama.cpp ignores (the converter applies what the file declares), so those variants run here without
theirs. The files are named "tiny": llama.cpp marks Phi-3 vocabularies' special tokens by name when
general.name says phi3, and the tiny vocabulary lacks them.
"""

from __future__ import annotations

import numpy as np
import pytest

from navllm.bench.reference import logits
from tests.convert import tiny_gguf
from tests.convert.test_tiny_models import VARIANTS

llama_cpp = pytest.importorskip("llama_cpp")

WEIGHTS = ("token_embd", "attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "output")
COMPARED = [
    "gemma2",
    "gemma3",
    "llama-mixed",
    "llama-yarn",
    "mistral-window",
    "mistral3",
    "phi3",
    "phi4-partial-rope",
    "qwen2-kquants",
    "qwen3",
    "smollm3",
]
F32 = 0  # ggml's type id, for the KV cache


@pytest.mark.parametrize("variant", COMPARED)
def test_llama_cpp_computes_what_the_reference_computes(tmp_path, variant):
    options = {**VARIANTS[variant], "types": dict.fromkeys(WEIGHTS, "F32"), "name": "tiny"}
    if options["arch"] in ("llama", "phi3"):  # windows llama.cpp ignores
        options["metadata"] = {k: v for k, v in options.get("metadata", {}).items() if k != "attention.sliding_window"}
    path = tiny_gguf.write(tmp_path / "m.gguf", **options)
    ids = [5, 260, 17, 266, 88, 140, 9, 201, 33, 77]
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=64, n_batch=64, logits_all=True, verbose=False, n_threads=2, type_k=F32, type_v=F32)
    try:
        llm.eval(ids)
        theirs = np.array(llm.scores[: len(ids)])
    finally:
        llm.close()
    ref = logits(path, ids)
    tolerance = 1e-3 if options["arch"].startswith("gemma") else 2e-5
    np.testing.assert_allclose(theirs, ref, rtol=0, atol=tolerance * np.abs(ref).max(), err_msg=variant)
