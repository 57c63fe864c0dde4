"""``navllm bench batched`` end to end on the real default model. Speed is never asserted; every
reply decoded beside others must be the text its prompt gives alone."""

from __future__ import annotations

import pytest

from navllm.bench import batched

pytestmark = pytest.mark.model


def test_bench_batched_reports_each_count(smollm2_gguf, monkeypatch):
    monkeypatch.setattr(batched, "GENERATED", 12)
    result = batched.run(smollm2_gguf, threads=2, rounds=1, log=lambda message: None)

    assert result["config"]["batches"]
    counts = result["counts"]
    assert list(counts) == [str(n) for n in batched.COUNTS]
    for figures in counts.values():
        assert figures["aggregateTps"] > 0 and figures["sameReplies"]
    assert counts["1"]["speedup"] == 1.0
    table = batched.table(result).splitlines()
    assert table[1].split()[:2] == ["at", "once"] and [row.split()[0] for row in table[2:]] == ["1", "2", "4"]
