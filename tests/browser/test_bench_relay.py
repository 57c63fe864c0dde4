"""``navllm bench relay`` keeps working: a short run in Chromium and the host cold start, and a
short flood. Only the shape of the results is checked, never speed."""

from __future__ import annotations

import pytest

from navllm.bench.relay import cold_start, flood, round_trips, table

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


def test_relay_benchmark_times_another_origin_during_a_flood():
    measured = flood("chromium", seconds=1, phase=0.5, warmup=10)
    assert measured["quiet"]["n"] > 0 and measured["flooded"]["n"] > 0
    assert 0 < measured["flooded"]["p50"] <= measured["flooded"]["p99"]
    flooder = measured["flooder"]
    # 96 loops exceed the bridge's 64 in flight, so some are always refused.
    assert flooder["answered"] > 0 and flooder["refused"] > 0 and flooder["failed"] == 0
    assert flooder["answeredPerSecond"] > 0 and flooder["refusedPerSecond"] > 0
    rendered = table({"flood": {"chromium": measured}, "coldStart": cold_start(1), "load": None})
    assert "other origin, one origin flooding" in rendered and "refused/s (QuotaExceededError)" in rendered


def test_relay_benchmark_measures_the_extensions_websocket_to_navllm_serve():
    # No native host: the extension pairs with the daemon and talks to its WebSocket; the run
    # fails unless the daemon's pid answered the status.
    measured = round_trips("chromium", n=100, warmup=10, transport="websocket")
    assert {measured[path]["n"] for path in ("host", "baseline", "navigatorLlm")} == {100}
    assert 0 < measured["host"]["p50"] <= measured["host"]["p99"]
    plain = round_trips("chromium", n=100, warmup=10)
    rendered = table(
        {"roundTrip": {"chromium": plain}, "roundTripWebSocket": {"chromium": measured}, "coldStart": cold_start(1), "load": None}
    )
    assert "bridge <-> navllm serve (WebSocket)" in rendered
