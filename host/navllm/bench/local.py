"""``navllm bench local``: our engine against llama.cpp on the same GGUF and thread count.

Both engines run the same 100-token prompt (ids from the model's tokenizer) and generate 128
tokens greedily with end-of-sequence ignored. Each engine runs in its own fresh process and the
two alternate, round after round, so shared-CPU noise hits both alike; every process loads the
model once and generates a few times (the first run counts as cold). Reported: medians across
rounds of load time, time to first token, prefill and decode tokens/s, memory, disk size, and
next-token agreement with an fp32 numpy reference over a fixed text (teacher-forced, one token
per step, as generation feeds them).

Memory, read from /proc/self/status at the end of the worker: peak RSS (VmHWM: what the process
ever held resident, load included), RSS at the end, and the anonymous part of it (RssAnon: heap
that only this process can use and that must be swapped to be reclaimed; the rest of RSS is
file pages, the memory-mapped weights, which processes share and the kernel can drop). A
worker's RSS includes the Python interpreter and the libraries it loaded; both engines run in
the same interpreter, which loads numpy and tokenizers for either. After each generation each
engine does what it does between requests: ours hands the heap's free memory back, as its
worker does when it goes idle (``providers/local/heap.py``); llama.cpp keeps its buffers.

Our engine loads the graph prepared for this machine (``providers/local/prepared.py``); each
converted folder is prepared once before the rounds, as the first load of a model does, and that
first load's time is reported apart (``firstLoadSeconds`` in ``--json``); disk size counts the
prepared graph.

Our engine runs twice: on the default graph (``navllm``: int8 activations inside MatMulNBits) and
on one converted with ``--accuracy-level 1`` (``navllm-fp32``: fp32 activations for 4-bit
weights: faster prefill, closer to the reference, slower decode), so the trade-off is measured.

The baseline is llama-cpp-python, which builds llama.cpp from source when installed
(``pip install llama-cpp-python``: about 7 minutes on 2 cores). Without it the benchmark says so
and reports our engine alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from ..providers.local.kv_cache import KVCache
    from ..providers.local.runtime import Binding

MISSING = "llama-cpp-python is not installed (pip install llama-cpp-python)"
PROMPT_TOKENS = 100
GENERATED = 128
PASSAGE = (
    "The lighthouse keeper climbed the spiral stairs every evening at dusk, carrying a lantern and a "
    "notebook in which he recorded the weather, the ships that passed, and the birds that rested on the "
    "railing. Over forty years he filled more than two hundred notebooks. When the light was automated, "
    "the notebooks were given to the town library, where historians still read them to learn how the "
    "coast, the fishing fleet and the seasons changed during the last century. "
)
ANSWER = (
    "The keeper's notebooks are valuable because they give a daily, first-hand record of a place over "
    "four decades. Historians can use the weather notes to study how storms and temperatures changed, "
    "the lists of ships to follow the rise and fall of the fishing fleet, and the bird sightings to see "
    "which species arrived earlier or later each year. Because one careful person kept the same habits "
    "for so long, the records are consistent, which makes small changes easy to notice. They also show "
    "everyday life on the coast: the work of keeping the light burning, the loneliness of long winters, "
    "and the small pleasures of a calm evening at sea."
)
# Our engines by the MatMulNBits accuracy level their graph is converted with, then the baseline.
OURS = {"navllm": 4, "navllm-fp32": 1}
ENGINES = (*OURS, "llama.cpp")


# -- inputs ---------------------------------------------------------------------------------------


def prompt_ids(model_dir: Path) -> tuple[list[int], list[int]]:
    """The 100-token benchmark prompt, and the fixed text (prompt + answer) for agreement."""
    from tokenizers import Tokenizer

    from ..models.chat_template import ChatTemplate
    from ..providers.local.runtime import ModelInfo

    info = ModelInfo.read(model_dir)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    template = ChatTemplate(info.chat_template, None, None)

    def render(passage: str) -> list[int]:
        text = template.render([{"role": "user", "content": f"{passage}\nWhy are the notebooks valuable?"}])
        return tok.encode(text, add_special_tokens=False).ids

    passage = PASSAGE * 2
    while len(render(passage)) > PROMPT_TOKENS:  # trim the passage, keep the chat framing intact
        passage = passage[: -max(1, len(passage) // 50)]
    prompt = render(passage)
    prompt = prompt[:1] * (PROMPT_TOKENS - len(prompt)) + prompt  # pad with the opening token
    answer = tok.encode(ANSWER, add_special_tokens=False).ids[:GENERATED]
    return prompt, prompt + answer


def default_gguf(workdir: Path) -> Path:
    """The embedded default model's GGUF, fetched the way the model store fetches it."""
    import threading

    from ..models import sources
    from ..models.store import DEFAULT_CHAT_SOURCE

    ctx = sources.Context(workdir=workdir, downloads=workdir / "downloads", progress=lambda f, s: None, cancel=threading.Event())
    ctx.downloads.mkdir(parents=True, exist_ok=True)
    return sources.fetch(DEFAULT_CHAT_SOURCE, ctx).path


# -- workers (each in a fresh process) ------------------------------------------------------------


def _memory_mib() -> dict[str, float | None]:
    """This process's peak RSS, RSS and anonymous RSS. On Linux from /proc (VmHWM, not
    ``ru_maxrss``, which survives exec and would report the parent's peak if that was higher);
    elsewhere the peak alone."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"peak_rss_mib": peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, "rss_mib": None, "anon_mib": None}
    kib = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith(("VmHWM:", "VmRSS:", "RssAnon:"))}
    return {"peak_rss_mib": kib["VmHWM"] / 1024, "rss_mib": kib["VmRSS"] / 1024, "anon_mib": kib["RssAnon"] / 1024}


class _Runner(Protocol):
    """One engine under measurement: ``start`` gives the state ``feed`` runs on (a cache, or nothing)."""

    def start(self, capacity: int) -> Any: ...
    def feed(self, state: Any, ids: list[int]) -> np.ndarray: ...
    def pick(self, logits: np.ndarray) -> int: ...
    def idle(self) -> None: ...


class _Ours:
    def __init__(self, model_dir: Path, threads: int):
        from ..providers.local import runtime
        from ..providers.local.sampler import Sampler, SamplerConfig

        self._runtime = runtime
        self.model = runtime.load(model_dir, threads)
        self.sampler = Sampler(SamplerConfig())

    def start(self, capacity: int) -> tuple[KVCache, Binding]:
        from ..providers.local.kv_cache import KVCache

        cache = KVCache(self.model.cache_shape(capacity), capacity=capacity)
        return cache, self.model.new_binding()

    def feed(self, state: tuple[KVCache, Binding], ids: list[int]) -> np.ndarray:
        cache, binding = state
        return self.model.forward(ids, cache, binding)

    def pick(self, logits: np.ndarray) -> int:
        return self.sampler.sample(logits)

    def idle(self) -> None:
        from ..providers.local import heap

        heap.give_back()


class LlamaCpp:
    """llama.cpp (llama-cpp-python) on a GGUF, configured alike wherever it is compared with our engine."""

    def __init__(self, gguf: Path, threads: int, context: int = 512):
        import numpy as np
        from llama_cpp import Llama

        self._np = np
        # Any: llama-cpp-python's methods are partly untyped, and it is absent wherever it is not installed.
        self.llm: Any = Llama(model_path=str(gguf), n_ctx=context, n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False)
        self._vocab = self.llm.n_vocab()

    def start(self, capacity: int) -> None:
        self.llm.reset()
        return None

    def feed(self, state: None, ids: list[int]) -> np.ndarray:
        self.llm.eval(ids)
        logits: np.ndarray = self._np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self._vocab,))
        return logits

    def pick(self, logits: np.ndarray) -> int:
        return int(self._np.argmax(logits))

    def idle(self) -> None:
        pass

    def rewind(self, keep: int) -> int:
        """Keep at most the first ``keep`` positions of the cache (the next feed drops the rest); how many are kept."""
        self.llm.n_tokens = min(keep, self.llm.n_tokens)
        return int(self.llm.n_tokens)


def worker(engine: str, gguf: Path, model_dir: Path | None, threads: int, runs: int, ids: list[int], text: list[int]) -> dict[str, Any]:
    """One process's measurements: load, then ``runs`` generations (the first cold), then agreement."""
    started = time.perf_counter()
    runner: _Runner = _Ours(model_dir, threads) if model_dir else LlamaCpp(gguf, threads)
    result: dict[str, Any] = {"load_s": time.perf_counter() - started, "runs": []}
    for _ in range(runs):
        state = runner.start(len(ids) + GENERATED)
        t0 = time.perf_counter()
        token = runner.pick(runner.feed(state, ids))
        t1 = time.perf_counter()
        for _ in range(GENERATED - 1):
            token = runner.pick(runner.feed(state, [token]))
        t2 = time.perf_counter()
        result["runs"].append({"ttft_ms": (t1 - t0) * 1000, "prefill_tps": len(ids) / (t1 - t0), "decode_tps": (GENERATED - 1) / (t2 - t1)})
        runner.idle()
    state = runner.start(len(text))
    split = len(text) - GENERATED
    predictions = [runner.pick(runner.feed(state, text[:split]))]
    predictions += [runner.pick(runner.feed(state, [t])) for t in text[split:-1]]
    result["predictions"] = predictions
    runner.idle()
    result.update(_memory_mib())
    return result


def reference_predictions(gguf: Path, text: list[int]) -> list[int]:
    from .reference import logits

    return [int(i) for i in logits(gguf, text)[len(text) - GENERATED - 1 : -1].argmax(-1)]


# -- orchestration --------------------------------------------------------------------------------


def _spawn(mode: str, config: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "navllm.bench.local", "--worker", mode],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the {mode} worker failed:\n{out.stderr.strip()[-2000:]}")
    measured: dict[str, Any] = json.loads(out.stdout)
    return measured


def _has_llama_cpp() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def run(gguf: Path | None, threads: int, rounds: int, runs: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from ..models.convert import convert_gguf
    from ..providers.local.prepared import open_session

    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp:
        work = Path(tmp)
        gguf = gguf or default_gguf(work / "fetch")
        model_dirs = {engine: work / engine for engine in OURS}
        prepare_s: dict[str, float] = {}
        for engine, level in OURS.items():
            log(f"converting {gguf.name} (accuracy level {level}) …")
            convert_gguf(gguf, model_dirs[engine], accuracy_level=level)
            log("preparing its graph for this machine …")
            started = time.perf_counter()
            open_session(model_dirs[engine], threads)  # as the first load does: every measured load finds it prepared
            prepare_s[engine] = time.perf_counter() - started
        ids, text = prompt_ids(model_dirs["navllm"])
        engines = [e for e in ENGINES if e in OURS or _has_llama_cpp()]
        if "llama.cpp" not in engines:
            log(f"{MISSING}; reporting navllm alone")
        dirs = {engine: str(folder) for engine, folder in model_dirs.items()}
        config = {"gguf": str(gguf), "model_dirs": dirs, "threads": threads, "runs": runs, "ids": ids, "text": text}
        log("fp32 reference …")
        reference = _spawn("reference", config)["predictions"]
        samples: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
        for r in range(rounds):
            for engine in engines if r % 2 == 0 else engines[::-1]:
                log(f"round {r + 1}/{rounds}: {engine}")
                samples[engine].append(_spawn(engine, config))
        disk = {e: sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) for e, folder in model_dirs.items()}
        disk["llama.cpp"] = gguf.stat().st_size
        report = {e: _summary(samples[e], reference, disk[e]) for e in engines}
    result: dict[str, Any] = {
        "config": {
            "gguf": gguf.name,
            "threads": threads,
            "rounds": rounds,
            "runsPerProcess": runs,
            "promptTokens": len(ids),
            "generatedTokens": GENERATED,
            "firstLoadSeconds": prepare_s,
        },
        "engines": report,
    }
    if "llama.cpp" in report:
        theirs = report["llama.cpp"]
        keys = ("load_s", "ttft_ms", "cold_ttft_ms", "prefill_tps", "decode_tps", "peak_rss_mib", "rss_mib", "anon_mib", "disk_mb")
        result["ratios"] = {e: {k: report[e][k] / theirs[k] for k in keys if report[e][k] and theirs[k]} for e in OURS}
    return result


def _summary(processes: list[dict[str, Any]], reference: list[int], disk_bytes: int) -> dict[str, Any]:
    med = statistics.median
    warm = [run for p in processes for run in p["runs"][1:]] or [p["runs"][0] for p in processes]
    agreement = [sum(a == b for a, b in zip(p["predictions"], reference, strict=True)) / len(reference) for p in processes]
    return {
        "load_s": med(p["load_s"] for p in processes),
        "ttft_ms": med(r["ttft_ms"] for r in warm),
        "cold_ttft_ms": med(p["runs"][0]["ttft_ms"] for p in processes),
        "prefill_tps": med(r["prefill_tps"] for r in warm),
        "decode_tps": med(r["decode_tps"] for r in warm),
        "decode_tps_best": max(r["decode_tps"] for r in warm),
        "peak_rss_mib": med(p["peak_rss_mib"] for p in processes),
        "rss_mib": _median_or_none([p["rss_mib"] for p in processes]),
        "anon_mib": _median_or_none([p["anon_mib"] for p in processes]),
        "disk_mb": disk_bytes / 1e6,
        "agreement": med(agreement),
    }


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def table(result: dict[str, Any]) -> str:
    columns = [
        ("load s", "load_s", "{:.2f}"),
        ("TTFT ms", "ttft_ms", "{:.0f}"),
        ("cold TTFT ms", "cold_ttft_ms", "{:.0f}"),
        ("prefill tok/s", "prefill_tps", "{:.0f}"),
        ("decode tok/s", "decode_tps", "{:.1f}"),
        ("peak RSS MiB", "peak_rss_mib", "{:.0f}"),
        ("RSS MiB", "rss_mib", "{:.0f}"),
        ("anon MiB", "anon_mib", "{:.0f}"),
        ("disk MB", "disk_mb", "{:.0f}"),
        ("agreement", "agreement", "{:.3f}"),
    ]
    rows = [["engine", *(c[0] for c in columns)]]
    for engine, figures in result["engines"].items():
        rows.append([engine, *("–" if figures[key] is None else fmt.format(figures[key]) for _, key, fmt in columns)])
    for engine, ratios in result.get("ratios", {}).items():
        rows.append([f"{engine} / llama.cpp", *(f"{ratios[key]:.2f}x" if key in ratios else "" for _, key, _ in columns)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    c = result["config"]
    head = f"{c['gguf']}, {c['threads']} threads, {c['promptTokens']}-token prompt, {c['generatedTokens']} generated, medians of {c['rounds']} rounds"
    return "\n".join(
        [head, *("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in rows)]
    )


def cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gguf", type=Path, help="GGUF file to compare on (default: the embedded default model)")
    parser.add_argument("--threads", type=int, default=None, help="threads for both engines (default: CPUs available)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per engine, alternated (default 3)")
    parser.add_argument("--runs", type=int, default=4, help="generations per process, the first cold (default 4)")
    parser.add_argument("--json", action="store_true", help="print JSON: one object per engine plus the ratios")


def command(args: argparse.Namespace) -> int:
    result = run(args.gguf, args.threads or cpus(), args.rounds, args.runs, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m navllm.bench.local", description=__doc__.split("\n")[0])
    parser.add_argument("--worker", choices=[*ENGINES, "reference"], help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.worker is None:
        return command(args)
    config = json.loads(sys.stdin.read())
    if args.worker == "reference":
        result: dict[str, Any] = {"predictions": reference_predictions(Path(config["gguf"]), config["text"])}
    else:
        model_dir = config["model_dirs"].get(args.worker)
        result = worker(
            args.worker,
            Path(config["gguf"]),
            model_dir and Path(model_dir),
            config["threads"],
            config["runs"],
            config["ids"],
            config["text"],
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
