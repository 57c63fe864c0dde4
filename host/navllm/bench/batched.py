"""``navllm bench batched``: aggregate decode speed with 1, 2 and 4 generations at once.

Generations decoding at the same time on one model share forwards (one row each,
``providers/local/pool.py``); a 4-bit matmul costs about the same for a few rows as for one, so
the tokens per second of all of them together should grow with their number. The local engine
generates greedily from N different chat prompts at once (end-of-sequence masked, so each
reply runs to the full length), N in 1, 2 and 4, the order reversed every round, in one process
on one loaded model, so shared-CPU noise hits every N alike. Reported per N: the medians of the
aggregate tokens/s (all the replies' tokens after their first, over the time from the first
streamed text to the last reply's end), the tokens/s each generation sees, the speed-up over
one generation alone, and whether every reply is the text that prompt gives alone.

The peer is llama.cpp (llama-cpp-python, loaded as ``bench local`` loads it, same GGUF and
thread count) serving the same N prompts one after another, greedily, end-of-sequence masked
too, the same number of tokens per reply, in the same process and rounds, the two engines'
order alternated. Both are timed alike for the comparison: all reply tokens over the wall time
from the start to the last reply's end, prefills included (``servedTps`` for ours,
``llamaCppSerialTps`` for the peer, and their ratio). Without llama-cpp-python the peer
columns say it is missing and our rows print alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import local
from .speculative import _prompt_ids

if TYPE_CHECKING:
    import numpy as np

    from ..providers.local.runtime import LoadedModel

GENERATED = 96
COUNTS = (1, 2, 4)
PROMPTS = [
    "Write a short story about a dragon who learns to bake bread.",
    "Explain how a bicycle stays upright, step by step.",
    "Describe a walk through a forest in autumn.",
    "Write a letter to a friend about a trip to the sea.",
]


class _NoEnd:
    """A constraint that only masks end-of-sequence, so every reply has the same length."""

    def __init__(self, model: LoadedModel):
        import numpy as np

        self._allowed = np.ones(model.info.vocab_size, dtype=bool)
        self._allowed[list(model.info.eos_token_ids)] = False

    def mask(self, tokens: Sequence[int]) -> np.ndarray:
        return self._allowed

    def advance(self, token: int) -> None:
        pass

    def valid_prefix(self, tokens: Sequence[int]) -> int:
        return len(tokens)


async def _together(model: LoadedModel, prompts: list[list[int]]) -> dict[str, Any]:
    """Generate from every prompt at once; the aggregate decode speed and each reply's text."""
    from ..providers.base import Usage
    from ..providers.local.engine import Job, engine_for
    from ..providers.local.kv_cache import KVCache
    from ..providers.local.sampler import Sampler, SamplerConfig

    engine = engine_for(model)
    firsts: list[float] = []
    started = time.perf_counter()

    async def one(prompt: list[int]) -> tuple[str, int]:
        cache = KVCache(model.cache_shape(len(prompt) + GENERATED), capacity=len(prompt) + GENERATED)
        job = Job(prompt=prompt, sampler=Sampler(SamplerConfig()), max_tokens=GENERATED, constraint=_NoEnd(model), speculate="off")
        parts: list[str] = []
        tokens = 0
        async for item in engine.generate(job, cache, model.new_binding()):
            if isinstance(item, Usage):
                tokens = item.output_tokens
            else:
                if not parts:
                    firsts.append(time.perf_counter())
                parts.append(item)
        return "".join(parts), tokens

    replies = await asyncio.gather(*(one(p) for p in prompts))
    ended = time.perf_counter()
    # The first token of each comes with its prefill; decode speed counts the ones after it.
    decoded = sum(tokens - 1 for _, tokens in replies)
    served = sum(tokens for _, tokens in replies) / (ended - started)
    return {"tps": decoded / (ended - min(firsts)), "servedTps": served, "texts": [text for text, _ in replies]}


def _one_after_another(llama: local.LlamaCpp, prompts: list[list[int]], ends: list[int]) -> float:
    """llama.cpp serving the prompts in turn, greedily with end-of-sequence masked as ours is:
    all reply tokens over the time from the start to the last reply's end."""
    import numpy as np

    started = time.perf_counter()
    for prompt in prompts:
        llama.start(len(prompt) + GENERATED)  # a fresh cache; llama.cpp holds it, no state to pass
        logits = llama.feed(None, prompt)
        for step in range(GENERATED):
            masked = logits.copy()  # the feed's logits are llama.cpp's own buffer
            masked[ends] = -np.inf
            if step < GENERATED - 1:
                logits = llama.feed(None, [int(np.argmax(masked))])
    return len(prompts) * GENERATED / (time.perf_counter() - started)


def run(gguf: Path | None, threads: int | None, rounds: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from ..models.convert import convert_gguf
    from ..providers.local import runtime
    from .local import default_gguf

    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp:
        work = Path(tmp)
        gguf = gguf or default_gguf(work / "fetch")
        log(f"converting {gguf.name} …")
        convert_gguf(gguf, work / "model")
        model = runtime.load(work / "model", threads)
        prompts = [_prompt_ids(model, text) for text in PROMPTS]
        ends = list(model.info.eos_token_ids)
        llama = local.LlamaCpp(gguf, threads or local.cpus()) if local._has_llama_cpp() else None
        if llama is None:
            log(f"{local.MISSING}; reporting navllm alone")
        alone = [asyncio.run(_together(model, [p]))["texts"][0] for p in prompts]
        samples: dict[int, list[dict[str, Any]]] = {n: [] for n in COUNTS}
        serial: dict[int, list[float]] = {n: [] for n in COUNTS}
        for r in range(rounds):
            for n in COUNTS if r % 2 == 0 else COUNTS[::-1]:
                log(f"round {r + 1}/{rounds}: {n} at once")
                if llama is not None and r % 2:
                    serial[n].append(_one_after_another(llama, prompts[:n], ends))
                samples[n].append(asyncio.run(_together(model, prompts[:n])))
                if llama is not None and not r % 2:
                    serial[n].append(_one_after_another(llama, prompts[:n], ends))
        batches = model.batches
    med = statistics.median
    single = med(s["tps"] for s in samples[1])
    return {
        "config": {
            "gguf": gguf.name,
            "threads": threads,
            "rounds": rounds,
            "generatedTokens": GENERATED,
            "batches": batches,
            "peer": "llama.cpp one after another" if llama is not None else local.MISSING,
        },
        "counts": {
            str(n): {
                "aggregateTps": (tps := med(s["tps"] for s in runs)),
                "perGenerationTps": tps / n,
                "speedup": tps / single,
                "sameReplies": all(s["texts"] == alone[:n] for s in runs),
                "servedTps": (served := med(s["servedTps"] for s in runs)),
                "llamaCppSerialTps": (theirs := med(serial[n]) if serial[n] else None),
                "ratio": served / theirs if theirs else None,
            }
            for n, runs in samples.items()
        },
    }


def table(result: dict[str, Any]) -> str:
    rows = [["at once", "aggregate tok/s", "each tok/s", "speed-up", "same replies", "served tok/s", "llama.cpp serial tok/s", "ratio"]]
    for n, f in result["counts"].items():
        theirs = f["llamaCppSerialTps"]
        rows.append(
            [
                n,
                f"{f['aggregateTps']:.1f}",
                f"{f['perGenerationTps']:.1f}",
                f"{f['speedup']:.2f}x",
                "yes" if f["sameReplies"] else "no",
                f"{f['servedTps']:.1f}",
                "missing" if theirs is None else f"{theirs:.1f}",
                "–" if f["ratio"] is None else f"{f['ratio']:.2f}x",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    c = result["config"]
    shared = "" if c["batches"] else " (this graph declares batch 1: generations take turns)"
    head = (
        f"{c['gguf']}, {c['threads'] or 'all'} threads, greedy, {c['generatedTokens']} tokens each, medians of {c['rounds']} rounds{shared}"
    )
    lines = ("  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows)
    peer = "ratio: served / llama.cpp serial" if c["peer"] != local.MISSING else f"llama.cpp: {local.MISSING}"
    return "\n".join([head, *lines, peer])


def register(benches: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = benches.add_parser("batched", help="local aggregate decoding speed with 1, 2 and 4 generations at once")
    parser.add_argument("--gguf", type=Path, help="GGUF file to convert and measure (default: the embedded default model)")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads (default: one per core)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per count, alternated (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    result = run(args.gguf, args.threads, args.rounds, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0
