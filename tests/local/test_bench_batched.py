"""``navllm bench batched`` end to end on the real default model. Speed is never asserted; every
reply decoded beside others must be the text its prompt gives alone, and the llama.cpp peer's
columns are filled, or say it is missing."""

from __future__ import annotations

import pytest

from navllm.bench import batched, local

pytestmark = pytest.mark.model


def _rows(result):
    assert result["config"]["batches"]
    counts = result["counts"]
    assert list(counts) == [str(n) for n in batched.COUNTS]
    for figures in counts.values():
        assert figures["aggregateTps"] > 0 and figures["servedTps"] > 0 and figures["sameReplies"]
    assert counts["1"]["speedup"] == 1.0
    table = batched.table(result).splitlines()
    assert table[1].split()[:2] == ["at", "once"] and [row.split()[0] for row in table[2:5]] == ["1", "2", "4"]
    return counts, table


def test_bench_batched_reports_each_count_beside_llama_cpp(smollm2_gguf, monkeypatch):
    if not local._has_llama_cpp():
        pytest.skip("llama-cpp-python is not installed: the peer cannot run")
    monkeypatch.setattr(batched, "GENERATED", 12)
    result = batched.run(smollm2_gguf, threads=2, rounds=1, log=lambda message: None)

    counts, table = _rows(result)
    assert result["config"]["peer"] == "llama.cpp one after another"
    for figures in counts.values():
        assert figures["llamaCppSerialTps"] > 0
        assert figures["ratio"] == figures["servedTps"] / figures["llamaCppSerialTps"]
    assert "llama.cpp serial tok/s" in table[1] and all(row.split()[-1].endswith("x") for row in table[2:5])


def test_bench_batched_without_llama_cpp_says_so(smollm2_gguf, monkeypatch):
    monkeypatch.setattr(batched, "GENERATED", 12)
    monkeypatch.setattr(local, "_has_llama_cpp", lambda: False)
    logged: list[str] = []
    result = batched.run(smollm2_gguf, threads=2, rounds=1, log=logged.append)

    counts, table = _rows(result)
    assert result["config"]["peer"] == local.MISSING and any(local.MISSING in m for m in logged)
    assert all(figures["llamaCppSerialTps"] is None and figures["ratio"] is None for figures in counts.values())
    assert all(row.split()[-2:] == ["missing", "–"] for row in table[2:5]) and table[-1] == f"llama.cpp: {local.MISSING}"
