"""``navllm bench local`` end to end on the real default model: it converts the GGUF at both
accuracy levels, runs each engine in its own processes and reports figures that make sense.
Only fidelity is asserted (agreement with the fp32 reference); speed is never asserted."""

from __future__ import annotations

import pytest

from navllm.bench import local

pytestmark = pytest.mark.model


def test_bench_local_reports_both_accuracy_levels(smollm2_gguf, monkeypatch):
    monkeypatch.setattr(local, "_has_llama_cpp", lambda: False)  # our engines only: the baseline is optional
    result = local.run(smollm2_gguf, threads=2, rounds=1, runs=2, log=lambda message: None)

    engines = result["engines"]
    assert set(engines) == {"navllm", "navllm-fp32"} and "ratios" not in result
    assert result["config"]["promptTokens"] == local.PROMPT_TOKENS
    for figures in engines.values():
        assert figures["ttft_ms"] > 0 and figures["decode_tps"] > 0 and figures["peak_rss_mib"] > 50
        assert figures["disk_mb"] > 100  # the converted SmolLM2 folder
    # fp32 activations follow the reference closely (0.992 here: the one miss comes from the head,
    # which keeps int8 activations); int8 activations flip more of its near-ties (0.961 here). A
    # CPU with other kernels may resolve one more near-tie differently, hence the margins.
    assert engines["navllm-fp32"]["agreement"] >= 0.98
    assert engines["navllm"]["agreement"] >= 0.93
    table = local.table(result).splitlines()
    assert table[1].split()[0] == "engine" and [row.split()[0] for row in table[2:]] == ["navllm", "navllm-fp32"]
