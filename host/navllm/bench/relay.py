"""``navllm bench relay``: what the relay costs.

- Round trip page -> MAIN world -> bridge -> background -> host -> back, over >= 1,000
  sequential ``params`` calls (the host answers them from its configuration, so this is the
  relay's own cost), in real Chromium and Firefox; in the same run and the same page, the
  baseline: ``ping``, which takes the same path but is answered by the background without the
  host, so the host's share is the difference. For scale, ``navigator.llm.availability()``
  through the public API, which also asks every provider. Calls alternate in blocks of 100 so
  all paths see the same conditions.
- Host cold start: spawn ``python -m navllm.host`` until its ``hello`` is answered, median of >= 20.
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = struct.Struct("=I")
BLOCK = 100

PAGE = "<!doctype html><meta charset=utf-8><title>navllm relay benchmark</title><p>Measuring…"

# Raw envelopes on the page's own window: exactly what navigator.llm sends, minus the wrapper.
MEASURE_JS = """
const [n, warmup, block] = ARGS;
let lastId = 1e9;
const waiting = new Map();
addEventListener("message", (e) => {
  if (e.source !== window || !e.data || e.data.dir !== "res") return;
  const reply = e.data.reply;
  if (reply.type !== "done" && reply.type !== "error") return;
  const resolve = waiting.get(e.data.id);
  waiting.delete(e.data.id);
  if (resolve) resolve(reply);
});
const call = (type, body) => new Promise((resolve) => {
  const id = ++lastId;
  waiting.set(id, resolve);
  window.postMessage({ navllm: 1, dir: "req", id, type, body }, "*");
});
const timed = async (type, body, count, into) => {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const reply = await call(type, body);
    const took = performance.now() - started;
    if (reply.type !== "done") throw new Error(`${type}: ${reply.error.name}: ${reply.error.message}`);
    into.push(took);
  }
};
const api = async (count, into) => {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await navigator.llm.availability();
    into.push(performance.now() - started);
  }
};
await timed("params", {}, warmup, []);
await timed("ping", {}, warmup, []);
const host = [], baseline = [], navigatorLlm = [];
for (let done = 0; done < n; done += block) {
  const count = Math.min(block, n - done);
  await timed("params", {}, count, host);
  await timed("ping", {}, count, baseline);
  await api(count, navigatorLlm);
}
return { host, baseline, navigatorLlm };
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99), "mean": statistics.fmean(values)}


def round_trips(kind: str, n: int, warmup: int = 100) -> dict:
    from ..browsers import LAUNCHERS, StaticSite

    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp:
        site = StaticSite(Path(tmp))
        site.add("bench.html", PAGE)
        browser = LAUNCHERS[kind](Path(tmp))
        try:
            browser.settings(echoEnabled=True)
            browser.grant(site.origin())
            times = browser.tab(site.url("bench.html")).run(MEASURE_JS, n, warmup, BLOCK)
        finally:
            browser.close()
            site.close()
    result = {path: summary(values) for path, values in times.items()}
    result["ratio"] = result["host"]["p50"] / result["baseline"]["p50"]
    return result


def cold_start(runs: int) -> dict:
    """Spawn the host as a browser would and time until its hello is answered."""
    hello = json.dumps({
        "id": "h", "type": "hello", "caller": {"kind": "extension", "origin": "navllm-bench"}, "extensionVersion": "bench", "protocol": 1,
    }).encode()
    times = []
    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as home:
        env = {**os.environ, "NAVLLM_HOME": home}
        for _ in range(runs):
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "navllm.host"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            proc.stdin.write(HEADER.pack(len(hello)) + hello)
            proc.stdin.flush()
            (length,) = HEADER.unpack(proc.stdout.read(HEADER.size))
            reply = json.loads(proc.stdout.read(length))
            times.append((time.perf_counter() - started) * 1000)
            proc.kill()  # measured; no need to wait for the services it loads next
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()
            if reply.get("type") != "done":
                raise RuntimeError(f"the host answered hello with {reply}")
    return {"n": runs, "median": statistics.median(times), "p90": percentile(times, 90), "min": min(times)}


def run(browsers: list[str], n: int, cold_runs: int) -> dict:
    return {
        "roundTrip": {kind: round_trips(kind, n) for kind in browsers},
        "coldStart": cold_start(cold_runs),
        "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def table(results: dict) -> str:
    lines = [f"{'browser':<10} {'path':<34} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}"]
    labels = {
        "baseline": "page <-> background (no host)",
        "host": "page <-> host (params)",
        "navigatorLlm": "navigator.llm.availability()",
    }
    for kind, paths in results["roundTrip"].items():
        for path, label in labels.items():
            s = paths[path]
            lines.append(f"{kind:<10} {label:<34} {s['n']:>6} {s['p50']:>8.3f} {s['p99']:>8.3f}")
        lines.append(f"{kind:<10} {'host / baseline (p50)':<34} {'':>6} {paths['ratio']:>8.2f}x")
    cold = results["coldStart"]
    lines.append(f"host cold start to hello: median {cold['median']:.1f} ms, p90 {cold['p90']:.1f} ms, min {cold['min']:.1f} ms over {cold['n']} runs")
    if results.get("load") is not None:
        lines.append(f"(1-minute load average during the run: {results['load']:.2f})")
    return "\n".join(lines)


def register(benches) -> None:
    parser = benches.add_parser("relay", help="page <-> host round trip against a no-host baseline, and host cold start")
    parser.add_argument("--browser", choices=["chromium", "firefox", "both"], default="both")
    parser.add_argument("-n", type=int, default=1000, help="round trips per path (at least 1000 for the report)")
    parser.add_argument("--cold-runs", type=int, default=20, help="host start-ups to time")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=main)


def main(args) -> int:
    browsers = ["chromium", "firefox"] if args.browser == "both" else [args.browser]
    results = run(browsers, args.n, args.cold_runs)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0
