"""The long fuzz run (not part of the test suite): ``.venv/bin/python tests/host/fuzz_host.py --frames 100000``.

One origin floods the real host with fuzzed frames (the generators of ``test_fuzz.py``), written
in batches of ``--every`` as fast as its pipe takes them; each batch ends with a well-formed
``availability`` from another origin, timed from the write to its answer. Reports crashes, hangs (a probe unanswered for ``--hang`` seconds), requests
left unanswered, the host's peak RSS (VmHWM) and the other origin's latency under the flood.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1]), str(HERE.parents[1] / "host")]

from fuzzing import MUTATIONS, OTHER, Browser, fuzz_frame  # noqa: E402


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(frames: int, every: int, seed: int, hang: float) -> dict:
    # The reply reader shares this process with the generator: switch often, so replies are read
    # as promptly as a browser reads them and the host never waits on its output pipe.
    sys.setswitchinterval(0.0005)
    rng = random.Random(seed)
    crashes = hangs = 0
    expected: list[str] = []
    probes: list[tuple[str, float]] = []
    unanswered: list[str] = []
    peak = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="navllm-fuzz-") as home:
        browser = Browser(Path(home))
        browser.setup()

        def settle(current: Browser) -> None:
            """Wait for the answers still owed by this host, then count what never came."""
            nonlocal hangs
            for rid in [*expected, *(rid for rid, _ in probes)]:
                try:
                    current.wait(rid, timeout=hang)
                except AssertionError:
                    if not current.alive():
                        break
                    unanswered.append(rid)
                    hangs += rid.startswith("o")

        for first in range(0, frames, every):
            if not browser.alive():  # a crash: count it, restart, go on
                crashes += 1
                settle(browser)
                expected.clear()
                browser = Browser(Path(home))
                browser.setup()
            bodies = []
            for _ in range(min(every, frames - first)):
                rid = browser.next_id("f")
                body, answered = fuzz_frame(rng.choice(MUTATIONS), rng, rid)
                bodies.append(body)
                if answered:
                    expected.append(rid)
            probe = browser.next_id("o")
            bodies.append(json.dumps({"id": probe, "type": "availability", "caller": OTHER}).encode())
            probes.append((probe, time.monotonic()))
            browser.send(*bodies)  # one write: the probe queues behind this batch of the flood
        settle(browser)
        latencies = [browser.answers[rid][1] - sent for rid, sent in probes if rid in browser.answers]
        peak = peak_rss_kib(browser.host.proc.pid) if browser.alive() else 0
        code, took, stderr = browser.close()
    return {
        "frames": frames,
        "seconds": round(time.monotonic() - started, 1),
        "crashes": crashes,
        "hangs": hangs,
        "unanswered": len(unanswered),
        "answered_expected": len(expected) - len(set(unanswered) & set(expected)),
        "probes": len(probes),
        "probe_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "probe_p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "peak_rss_mib": round(peak / 1024, 1),
        "exit": {"status": code, "seconds": round(took, 3), "traceback": "Traceback" in stderr},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=50, help="a well-formed request from another origin after every N fuzzed frames")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hang", type=float, default=10.0, help="seconds an answer may take before it counts as a hang")
    args = parser.parse_args()
    result = run(args.frames, args.every, args.seed, args.hang)
    print(json.dumps(result, indent=2))
    bad = result["crashes"] or result["hangs"] or result["unanswered"] or result["exit"]["status"] or result["exit"]["seconds"] >= 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
