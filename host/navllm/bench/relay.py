"""``navllm bench relay``: what the relay costs.

- Round trip bridge -> background -> host -> back, over >= 1,000 sequential ``params`` calls
  (the host answers them from its configuration, so this is the relay's own cost), sent from
  the bench tab's isolated world over a ``navllm-page`` port as the bridge sends them, in real
  Chromium and Firefox; in the same run and the same tab, the baseline: the same ``params``
  messages over the driver's echo port (``ECHO_PORT``, which only its test build of the
  extension has: ``navllm/devtools/testbuild/bench-echo.js``), answered by the background at once
  without the host, so the host's share is the difference. For the whole path from the page
  (MAIN world -> private port -> bridge -> ...), ``navigator.llm.availability()`` through the
  public API, which also asks every provider. Calls alternate in blocks of 100 so all paths see
  the same conditions; each block opens its ports with one untimed call.
- With ``--daemon``, in the same run, each browser twice more with a fresh profile, against a
  ``navllm serve`` started for its data folder: its native host relaying to it (``relay``), and
  no native host at all, the extension paired with the daemon as the side panel pairs it and
  talking to its ``/api/browser`` WebSocket directly (``websocket``, as a Snap or Flatpak browser
  does). The status's ``pid`` is checked to be the daemon's in both.
- The host alone: the same ``params`` envelope the background sends, written to the host's
  stdin and answered on its stdout, one at a time (``--host-only`` runs just this). What the
  host path costs beyond the baseline and beyond this is the browser's native-messaging plumbing.
  In the same run and the same data folder, the host as a relay to ``navllm serve`` (started for
  the run): the same envelopes over its pipes, relayed to the daemon's ``/api/browser`` and back;
  the two hosts alternate in blocks of 100.
- Host cold start: spawn ``python -m navllm.host`` until its ``hello`` is answered, median of >= 20.
- With ``--flood SECONDS``: one granted page (127.0.0.1) floods ``navigator.llm.availability()``
  from many concurrent loops, beyond the bridge's and the host's caps, while a granted page at
  another origin (localhost) times sequential calls of the same kind. Phases with and without
  the flood alternate; reported are the other origin's latencies in both, and how many of the
  flood's requests were answered and refused (``QuotaExceededError``) per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..wire.framing import HEADER, encode

if TYPE_CHECKING:
    from ..devtools.browsers import Browser, StaticSite

BLOCK = 100

PAGE = "<!doctype html><meta charset=utf-8><title>navllm relay benchmark</title><p>Measuring…"

# Runs in an extension page: in the isolated world of the bench tab, times `count` sequential
# calls for each path {name: [port name, request type]}, each over its own port: "navllm-page"
# as the bridge sends them (page scripts reach the bridge over a private MessagePort, so the page
# itself cannot send these), or the test build's echo port. One untimed call first opens each port.
BRIDGE_JS = """
const [url, count, paths] = ARGS;
const api = globalThis.browser ?? globalThis.chrome;
const tab = (await api.tabs.query({})).find((t) => t.url === url);
const [{ result }] = await api.scripting.executeScript({
  target: { tabId: tab.id },
  args: [count, paths],
  func: async (count, paths) => {
    const api = globalThis.browser ?? globalThis.chrome;
    const open = (name) => {
      const port = api.runtime.connect({ name });
      const waiting = new Map();
      port.onMessage.addListener(({ id, reply }) => {
        if (reply.type !== "done" && reply.type !== "error") return;
        waiting.get(id)?.(reply);
        waiting.delete(id);
      });
      port.onDisconnect.addListener(() => {
        for (const resolve of waiting.values()) resolve({ type: "error", error: { name: "OperationError", message: `port ${name} was disconnected` } });
        waiting.clear();
      });
      let lastId = 0;
      const call = (type) => new Promise((resolve) => {
        const id = ++lastId;
        waiting.set(id, resolve);
        port.postMessage({ id, type, body: {} });
      });
      return { port, call };
    };
    const ports = Object.fromEntries(Object.entries(paths).map(([path, [name]]) => [path, open(name)]));
    const times = {};
    try {
      for (const [path, [name, type]] of Object.entries(paths)) {
        const { call } = ports[path];
        const first = await call(type);
        if (first.type !== "done") return { error: `${path} (${name}): ${first.error.name}: ${first.error.message}` };
        times[path] = [];
        for (let i = 0; i < count; i++) {
          const started = performance.now();
          const reply = await call(type);
          if (reply.type !== "done") return { error: `${path} (${name}): ${reply.error.name}: ${reply.error.message}` };
          times[path].push(performance.now() - started);
        }
      }
    } finally {
      for (const { port } of Object.values(ports)) port.disconnect();
    }
    return times;
  },
});
return result;
"""

# Runs in the bench page: the public API, the whole path page -> MAIN world -> bridge -> host.
# Stops after `count` calls or `ms` milliseconds, whichever comes first.
API_JS = """
const [count, ms = null] = ARGS;
const until = performance.now() + (ms ?? Infinity);
const times = [];
for (let i = 0; i < count && performance.now() < until; i++) {
  const started = performance.now();
  await navigator.llm.availability();
  times.push(performance.now() - started);
}
return times;
"""

FLOOD_WORKERS = 96  # beyond both caps: the bridge's 64 in flight per frame, the host's 32 per origin
FLOOD_PHASE = 2.0  # seconds per phase
FLOOD_TAIL = 0.5  # seconds the flood outlasts the other origin's timing, which starts a little later
FLOOD_MAX = 500_000  # requests per phase: a bound should the time check fail to stop it

# Runs in the flooding page and returns at once: the flood goes on while the other origin is
# timed, and stops by itself after `ms` milliseconds or `max` requests. FLOOD_END_JS collects it.
FLOOD_START_JS = """
const [workers, ms, max] = ARGS;
const counts = { answered: 0, refused: 0, failed: 0 };
const started = performance.now();
let sent = 0;
const loop = async () => {
  while (performance.now() - started < ms && sent++ < max) {
    try {
      await navigator.llm.availability();
      counts.answered++;
    } catch (err) {
      counts[err.name === "QuotaExceededError" ? "refused" : "failed"]++;
    }
  }
};
// window, not globalThis: under Marionette only window's properties outlive the script.
window.__navllmFlood = Promise.all(Array.from({ length: workers }, loop))
  .then(() => ({ ...counts, seconds: (performance.now() - started) / 1000 }));
return null;
"""
FLOOD_END_JS = "return await window.__navllmFlood;"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values),
    }


# Runs in an extension page: pair with navllm serve as the side panel does (background/pairing.js).
PAIR_JS = """
const [action, body] = ARGS;
const api = globalThis.browser ?? globalThis.chrome;
return await api.runtime.sendMessage({ type: "navllm-pairing", action, ...body });
"""


@contextmanager
def bench_browser(
    kind: str, hosts: tuple[str, ...] = ("127.0.0.1",), transport: str = "in-process"
) -> Iterator[tuple[Browser, StaticSite, Daemon | None]]:
    """A browser of ``kind`` with echo on, the bench page served and granted at each of ``hosts``,
    reaching the host's core by ``transport``; the ``navllm serve`` started for it, if any."""
    from ..devtools.browsers import Chromium, Firefox, StaticSite

    # The browser passes its environment on to the host it starts: no daemon started on demand for a throw-away folder.
    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp, hosts_relay("off" if transport == "in-process" else "if-running"):
        site = StaticSite(Path(tmp))
        site.add("bench.html", PAGE)
        home = Path(tmp) / "navllm-home"
        # Listening before the browser starts, so its host finds it whenever the extension connects.
        with running_daemon(str(home)) if transport != "in-process" else nullcontext() as daemon:
            native_host = transport != "websocket"  # none registered: as a Snap or Flatpak browser
            launcher = Chromium if kind == "chromium" else Firefox
            browser = launcher(Path(tmp), home, native_host=native_host)
            try:
                if daemon is not None and transport == "websocket":
                    pair(browser, daemon)
                browser.settings(echoEnabled=True)
                for host in hosts:
                    browser.grant(site.origin(host))
                yield browser, site, daemon
            finally:
                browser.close()
                site.close()


def pair(browser: Browser, daemon: Daemon) -> None:
    """Pair ``browser``'s extension with ``daemon``: the side panel's actions, the code read from
    ``pairing.json`` as ``navllm pair`` reads it."""
    from ..devtools.browsers import ADMIN_PAGE

    panel = browser.tab(f"{browser.extension_origin}/{ADMIN_PAGE}")
    try:
        for action, body in (("setPort", {"port": daemon.port}), ("pair", {"browser": "bench"})):
            answer = panel.run(PAIR_JS, action, body)
            if "error" in answer:
                raise RuntimeError(f"pairing with navllm serve failed at {action}: {answer['error']['message']}")
        code = json.loads((daemon.home / "data" / "pairing.json").read_text())["code"]
        answer = panel.run(PAIR_JS, "confirm", {"pairing": answer["data"]["pairing"], "code": code})
        if "error" in answer:
            raise RuntimeError(f"pairing with navllm serve failed at confirm: {answer['error']['message']}")
    finally:
        panel.close()


@contextmanager
def hosts_relay(mode: str) -> Iterator[None]:
    """Hosts started meanwhile run with ``NAVLLM_DAEMON=mode``."""
    saved = os.environ.get("NAVLLM_DAEMON")
    os.environ["NAVLLM_DAEMON"] = mode
    try:
        yield
    finally:
        if saved is None:
            del os.environ["NAVLLM_DAEMON"]
        else:
            os.environ["NAVLLM_DAEMON"] = saved


def round_trips(kind: str, n: int, warmup: int = 100, transport: str = "in-process") -> dict[str, Any]:
    from ..devtools.browsers import ADMIN_PAGE, ECHO_PORT

    # The host path and the baseline send the same messages; only the port differs.
    paths = {"host": ["navllm-page", "params"], "baseline": [ECHO_PORT, "params"]}
    with bench_browser(kind, transport=transport) as (browser, site, daemon):
        url = site.url("bench.html")
        page = browser.tab(url)
        admin = browser.tab(f"{browser.extension_origin}/{ADMIN_PAGE}")

        def bridge(count: int) -> dict[str, list[float]]:
            times: dict[str, list[float]] = admin.run(BRIDGE_JS, url, count, paths)
            if "error" in times:
                raise RuntimeError(times["error"])
            return times

        bridge(warmup)
        page.run(API_JS, warmup)
        if daemon is not None and browser.admin("status")["pid"] != daemon.pid:
            raise RuntimeError(f"{kind} was not served by navllm serve ({transport}): the daemon did not answer it")
        times: dict[str, list[float]] = {"host": [], "baseline": [], "navigatorLlm": []}
        for done in range(0, n, BLOCK):
            count = min(BLOCK, n - done)
            block = bridge(count)
            times["host"] += block["host"]
            times["baseline"] += block["baseline"]
            times["navigatorLlm"] += page.run(API_JS, count)
    result: dict[str, Any] = {path: summary(values) for path, values in times.items()}
    result["ratio"] = result["host"]["p50"] / result["baseline"]["p50"]
    return result


def flood(kind: str, seconds: float, phase: float = FLOOD_PHASE, workers: int = FLOOD_WORKERS, warmup: int = 100) -> dict[str, Any]:
    """The other origin's latency with and without one origin flooding, in alternating phases of
    ``phase`` seconds (``seconds`` of flood in all), and what the flood got answered and refused."""
    with bench_browser(kind, hosts=("127.0.0.1", "localhost")) as (browser, site, _):
        flooder = browser.tab(site.url("bench.html"))
        other = browser.tab(site.url("bench.html", host="localhost"))
        other.run(API_JS, warmup)
        times: dict[str, list[float]] = {"quiet": [], "flooded": []}
        counts = {"answered": 0, "refused": 0, "failed": 0, "seconds": 0.0}
        calls = 10**9  # the phases are bounded by time
        for _ in range(max(1, round(seconds / phase))):
            times["quiet"] += other.run(API_JS, calls, phase * 1000)
            flooder.run(FLOOD_START_JS, workers, (phase + FLOOD_TAIL) * 1000, FLOOD_MAX)
            times["flooded"] += other.run(API_JS, calls, phase * 1000)
            for name, value in flooder.run(FLOOD_END_JS).items():
                counts[name] += value
    result: dict[str, Any] = {name: summary(values) for name, values in times.items()}
    result["flooder"] = {
        **counts,
        "workers": workers,
        "answeredPerSecond": counts["answered"] / counts["seconds"],
        "refusedPerSecond": counts["refused"] / counts["seconds"],
    }
    return result


class HostPipes:
    """A host process spoken to as a browser speaks to it: framed JSON on its stdin and stdout.
    ``daemon``: whether it may relay to a daemon running for ``home`` (``NAVLLM_DAEMON``)."""

    def __init__(self, home: str, daemon: bool = False) -> None:
        env = {**os.environ, "NAVLLM_HOME": home, "NAVLLM_DAEMON": "if-running" if daemon else "off"}
        # Unbuffered, so the harness adds as little as it can to what it measures.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "navllm.host"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are pipes
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def send(self, data: bytes) -> None:
        self.stdin.write(data)

    def receive(self) -> bytes:
        (length,) = HEADER.unpack(self._read(HEADER.size))
        return self._read(length)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.stdout.read(size - len(data))
            if not chunk:
                raise EOFError("the host closed its output")
            data += chunk
        return data

    def call(self, message: dict[str, Any]) -> dict[str, Any]:
        self.send(frame(message))
        reply: dict[str, Any] = json.loads(self.receive())
        return reply

    def close(self) -> None:
        self.proc.kill()  # measured; no need for an orderly exit
        self.proc.wait()
        self.stdin.close()
        self.stdout.close()


def frame(message: dict[str, Any]) -> bytes:
    body = encode(message)
    return HEADER.pack(len(body)) + body


ADMIN = {"kind": "extension", "origin": "navllm-bench"}
# The caller Chromium's background attaches to a page's request (key order included).
PAGE_CALLER = {
    "kind": "page",
    "origin": "http://127.0.0.1:8000",
    "frameId": 0,
    "incognito": False,
    "topOrigin": "http://127.0.0.1:8000",
    "tabId": 1,
    "documentId": "0123456789ABCDEF0123456789ABCDEF",
}


def host_only(n: int, warmup: int = 200) -> dict[str, dict[str, float]]:
    """Request written -> reply read for ``params`` over the host's pipes, with echo on as in
    ``round_trips``: ``inProcess`` (the host serving itself) and ``relay`` (the host relaying to a
    ``navllm serve`` on the same data folder), alternating in blocks."""
    times: dict[str, list[float]] = {"inProcess": [], "relay": []}
    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as home, running_daemon(home):
        hosts = {"inProcess": HostPipes(home), "relay": HostPipes(home, daemon=True)}
        try:
            for host in hosts.values():
                ready(host)
                timed(host, warmup)
            for done in range(0, n, BLOCK):
                for path, host in hosts.items():
                    times[path] += timed(host, min(BLOCK, n - done))
            if hosts["relay"].call({"type": "status", "caller": ADMIN, "id": "s"})["data"]["pid"] == hosts["relay"].proc.pid:
                raise RuntimeError("the relaying host served in-process: the daemon did not answer")
        finally:
            for host in hosts.values():
                host.close()
    return {path: summary(values) for path, values in times.items()}


def ready(host: HostPipes) -> None:
    for setup in (
        {"type": "hello", "extensionVersion": "bench", "protocol": 1},
        {"type": "settings.set", "values": {"echoEnabled": True}},
    ):
        reply = host.call({**setup, "caller": ADMIN, "id": setup["type"]})
        if reply.get("type") != "done":
            raise RuntimeError(f"the host answered {setup['type']} with {reply}")


def timed(host: HostPipes, count: int) -> list[float]:
    times = []
    for i in range(count):
        request = frame({"type": "params", "caller": PAGE_CALLER, "id": f"b{i}"})
        started = time.perf_counter()
        host.send(request)
        answer = host.receive()
        times.append((time.perf_counter() - started) * 1000)
        if b'"done"' not in answer:
            raise RuntimeError(f"the host answered params with {answer!r}")
    return times


@dataclass
class Daemon:
    home: Path
    pid: int
    port: int


@contextmanager
def running_daemon(home: str, deadline: float = 60.0) -> Iterator[Daemon]:
    """``navllm serve`` on any free port for ``home``, until the block ends."""
    env = {**os.environ, "NAVLLM_HOME": home}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "navllm", "serve", "--port", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    state_file = Path(home) / "data" / "daemon.json"
    try:
        end = time.monotonic() + deadline
        while (state := read_json_or_none(state_file)) is None or state.get("pid") != daemon.pid:
            if daemon.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"navllm serve did not start: {daemon.stderr.read().decode() if daemon.stderr else ''}")
            time.sleep(0.05)
        yield Daemon(Path(home), daemon.pid, state["port"])
    finally:
        daemon.terminate()
        try:
            daemon.wait(deadline)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def read_json_or_none(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not written yet, or being replaced
    return value if isinstance(value, dict) else None


def cold_start(runs: int) -> dict[str, float]:
    """Spawn the host as a browser would and time until its hello is answered."""
    hello = frame({"id": "h", "type": "hello", "caller": ADMIN, "extensionVersion": "bench", "protocol": 1})
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as home:
        for _ in range(runs):
            started = time.perf_counter()
            host = HostPipes(home)
            host.send(hello)
            reply = json.loads(host.receive())
            times.append((time.perf_counter() - started) * 1000)
            host.close()
            if reply.get("type") != "done":
                raise RuntimeError(f"the host answered hello with {reply}")
    return {"n": runs, "median": statistics.median(times), "p90": percentile(times, 90), "min": min(times)}


def run(browsers: list[str], n: int, cold_runs: int, flood_seconds: float = 0, daemon: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {
        "roundTrip": {kind: round_trips(kind, n) for kind in browsers},
        **({"roundTripDaemon": {kind: round_trips(kind, n, transport="relay") for kind in browsers}} if daemon else {}),
        **({"roundTripWebSocket": {kind: round_trips(kind, n, transport="websocket") for kind in browsers}} if daemon else {}),
        "hostOnly": host_only(max(n, 2000)),
        "coldStart": cold_start(cold_runs),
    }
    if flood_seconds > 0:
        results["flood"] = {kind: flood(kind, flood_seconds) for kind in browsers}
    results["load"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'browser':<10} {'path':<36} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    labels = {
        "baseline": "bridge <-> background (no host)",
        "host": "bridge <-> host (params)",
        "navigatorLlm": "navigator.llm.availability()",
    }
    for kind, paths in results.get("roundTrip", {}).items():
        for path, label in labels.items():
            s = paths[path]
            lines.append(f"{kind:<10} {label:<36} {s['n']:>6} {s['p50']:>8.3f} {s['p95']:>8.3f} {s['p99']:>8.3f}")
        for key, label in (
            ("roundTripDaemon", "bridge <-> relay <-> navllm serve"),
            ("roundTripWebSocket", "bridge <-> navllm serve (WebSocket)"),
        ):
            if kind in results.get(key, {}):
                s = results[key][kind]["host"]
                lines.append(f"{kind:<10} {label:<36} {s['n']:>6} {s['p50']:>8.3f} {s['p95']:>8.3f} {s['p99']:>8.3f}")
        lines.append(f"{kind:<10} {'host / baseline (p50)':<36} {'':>6} {paths['ratio']:>8.2f}x")
    for path, label in (("inProcess", "host alone over pipes (params)"), ("relay", "host relaying to navllm serve")):
        if path in results.get("hostOnly", {}):
            s = results["hostOnly"][path]
            lines.append(f"{'-':<10} {label:<36} {s['n']:>6} {s['p50']:>8.3f} {s['p95']:>8.3f} {s['p99']:>8.3f}")
    for kind, measured in results.get("flood", {}).items():
        for phase, label in (("quiet", "other origin, no flood"), ("flooded", "other origin, one origin flooding")):
            s = measured[phase]
            lines.append(f"{kind:<10} {label:<36} {s['n']:>6} {s['p50']:>8.3f} {s['p95']:>8.3f} {s['p99']:>8.3f}")
        f = measured["flooder"]
        lines.append(
            f"{kind:<10} flooding origin ({f['workers']} loops, {f['seconds']:.1f} s): {f['answeredPerSecond']:.0f} answered/s,"
            f" {f['refusedPerSecond']:.0f} refused/s (QuotaExceededError), {f['failed']} other errors"
        )
    cold = results["coldStart"]
    lines.append(
        f"host cold start to hello: median {cold['median']:.1f} ms, p90 {cold['p90']:.1f} ms, min {cold['min']:.1f} ms over {cold['n']} runs"
    )
    if results.get("load") is not None:
        lines.append(f"(1-minute load average during the run: {results['load']:.2f})")
    return "\n".join(lines)


def register(benches: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``relay`` to ``navllm bench``'s subcommands."""
    parser = benches.add_parser("relay", help="page <-> host round trip against a no-host baseline, and host cold start")
    parser.add_argument("--browser", choices=["chromium", "firefox", "both"], default="both")
    parser.add_argument("-n", type=int, default=1000, help="round trips per path (at least 1000 for the report)")
    parser.add_argument("--cold-runs", type=int, default=20, help="host start-ups to time")
    parser.add_argument(
        "--host-only",
        action="store_true",
        help="skip the browsers: the host alone over pipes (in-process and relaying to navllm serve), and its cold start",
    )
    parser.add_argument(
        "--flood",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also time another origin while one page floods, for this many seconds in all",
    )
    parser.add_argument(
        "--daemon",
        action="store_true",
        help="also time each browser with its host relaying to a navllm serve started for it, and with no native host,"
        " the extension paired with that navllm serve and talking to its WebSocket directly",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    browsers = [] if args.host_only else ["chromium", "firefox"] if args.browser == "both" else [args.browser]
    results = run(browsers, args.n, args.cold_runs, args.flood, args.daemon)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0
