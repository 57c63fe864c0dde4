"""``navllm bench relay`` keeps working: a short run in Chromium and the host cold start."""

from __future__ import annotations

import pytest

from navllm.bench.relay import cold_start, round_trips, table

pytestmark = pytest.mark.browser


def test_relay_benchmark_measures_both_paths():
    results = {"roundTrip": {"chromium": round_trips("chromium", n=100, warmup=10)}, "coldStart": cold_start(3), "load": None}
    chromium = results["roundTrip"]["chromium"]
    assert {chromium[path]["n"] for path in ("host", "baseline", "navigatorLlm")} == {100}
    assert 0 < chromium["baseline"]["p50"] <= chromium["baseline"]["p99"]
    assert chromium["ratio"] == chromium["host"]["p50"] / chromium["baseline"]["p50"]
    assert results["coldStart"]["n"] == 3 and results["coldStart"]["median"] > 0
    rendered = table(results)
    assert "bridge <-> background (no host)" in rendered and "host cold start to hello: median" in rendered
