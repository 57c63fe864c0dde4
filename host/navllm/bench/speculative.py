"""``navllm bench speculative``: decoding speed with prompt-lookup drafts on and off, side by side.

"On" verifies drafts whether or not the graph's several-row logits equal its one-row ones
(``Job.speculate == "always"``); by default the engine drafts only where they do, which the
report's ``draftsExact`` says (false for the shipped int8 graph on x86-64: there the replies
may differ, and a user gets the "off" figures).

The local engine generates greedily from the same chat prompts with speculation off and on,
alternating run by run in one process on one loaded model, so shared-CPU noise hits both alike.
The prompts are a copy, a rewrite and a summary of a passage (text largely present in the
prompt, where drafts should be kept) and free writing (where they should cost nothing).
Reported per prompt: medians of decode tokens/s off and on, the speed-up, how many drafted
tokens the model kept, and whether the two replies are the same text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .task_corpus import PASSAGES

if TYPE_CHECKING:
    from ..providers.local.runtime import LoadedModel

GENERATED = 128
PROMPTS = {
    "copy": "Repeat the following text exactly:\n\n" + PASSAGES[1].text,
    "rewrite": "Rewrite this text in a more formal tone, keeping every detail:\n\n" + PASSAGES[0].text,
    "summary": "Summarize this text in three sentences:\n\n" + PASSAGES[2].text,
    "free": "Write a short story about a dragon who learns to bake bread.",
}


def _prompt_ids(model: LoadedModel, text: str) -> list[int]:
    from ..models.chat_template import ChatTemplate

    template = ChatTemplate(model.info.chat_template, None, None)
    rendered = template.render([{"role": "user", "content": text}], add_generation_prompt=True)
    return list(model.tokenizer.encode(rendered, add_special_tokens=False).ids)


async def _generate(model: LoadedModel, prompt: list[int], speculate: bool) -> dict[str, Any]:
    """One greedy reply on a fresh cache: its text, token count, decode time (from the first
    streamed text on, so the prefill is left out) and drafts."""
    from ..providers.base import Usage
    from ..providers.local.engine import Job, engine_for
    from ..providers.local.kv_cache import KVCache
    from ..providers.local.sampler import Sampler, SamplerConfig

    engine = engine_for(model)
    cache = KVCache(model.cache_shape(len(prompt) + GENERATED), capacity=len(prompt) + GENERATED)
    job = Job(prompt=prompt, sampler=Sampler(SamplerConfig()), max_tokens=GENERATED, speculate="always" if speculate else "off")
    drafted, accepted = engine.drafted, engine.accepted
    parts: list[str] = []
    first, tokens = 0.0, 0
    async for item in engine.generate(job, cache, model.new_binding()):
        if isinstance(item, Usage):
            tokens = item.output_tokens
        else:
            first = first or time.perf_counter()
            parts.append(item)
    seconds = time.perf_counter() - first
    return {
        "text": "".join(parts),
        "tokens": tokens,
        "seconds": seconds,
        "drafted": engine.drafted - drafted,
        "accepted": engine.accepted - accepted,
    }


def run(gguf: Path | None, threads: int | None, rounds: int, accuracy_level: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from ..models.convert import convert_gguf
    from ..providers.local import runtime
    from .local import default_gguf

    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp:
        work = Path(tmp)
        gguf = gguf or default_gguf(work / "fetch")
        log(f"converting {gguf.name} (accuracy level {accuracy_level}) …")
        convert_gguf(gguf, work / "model", accuracy_level=accuracy_level)
        model = runtime.load(work / "model", threads)
        prompts = {name: _prompt_ids(model, text) for name, text in PROMPTS.items()}
        exact = model.drafts_exact
        samples: dict[str, dict[bool, list[dict[str, Any]]]] = {name: {False: [], True: []} for name in prompts}
        for r in range(rounds):
            for name, ids in prompts.items():
                for speculate in (False, True) if r % 2 == 0 else (True, False):
                    log(f"round {r + 1}/{rounds}: {name}, speculation {'on' if speculate else 'off'}")
                    samples[name][speculate].append(asyncio.run(_generate(model, ids, speculate)))
    return {
        "config": {
            "gguf": gguf.name,
            "threads": threads,
            "rounds": rounds,
            "accuracyLevel": accuracy_level,
            "generatedTokens": GENERATED,
            "draftsExact": exact,
        },
        "prompts": {name: _summary(len(prompts[name]), runs[False], runs[True]) for name, runs in samples.items()},
    }


def _summary(prompt_tokens: int, off: list[dict[str, Any]], on: list[dict[str, Any]]) -> dict[str, Any]:
    med = statistics.median
    # The first token comes with the prefill; decode speed counts the ones after it.
    off_tps, on_tps = (med((r["tokens"] - 1) / r["seconds"] for r in runs) for runs in (off, on))
    drafted = sum(r["drafted"] for r in on)
    return {
        "promptTokens": prompt_tokens,
        "replyTokens": on[0]["tokens"],
        "offTps": off_tps,
        "onTps": on_tps,
        "speedup": on_tps / off_tps,
        "drafted": drafted / len(on),
        "accepted": sum(r["accepted"] for r in on) / len(on),
        "acceptance": sum(r["accepted"] for r in on) / drafted if drafted else 0.0,
        "sameReply": all(a["text"] == b["text"] for a, b in zip(off, on, strict=True)),
        "reply": on[0]["text"],
    }


def table(result: dict[str, Any]) -> str:
    columns = [
        ("prompt tok", "promptTokens", "{:.0f}"),
        ("reply tok", "replyTokens", "{:.0f}"),
        ("off tok/s", "offTps", "{:.1f}"),
        ("on tok/s", "onTps", "{:.1f}"),
        ("speed-up", "speedup", "{:.2f}x"),
        ("drafted/reply", "drafted", "{:.0f}"),
        ("kept/reply", "accepted", "{:.0f}"),
        ("kept %", "acceptance", "{:.0%}"),
    ]
    rows = [["prompt", *(c[0] for c in columns), "same reply"]]
    for name, figures in result["prompts"].items():
        rows.append([name, *(fmt.format(figures[key]) for _, key, fmt in columns), "yes" if figures["sameReply"] else "no"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    c = result["config"]
    threads = c["threads"] or "all"
    default = "on by default" if c["draftsExact"] else "off by default: several-row logits differ from one-row ones"
    head = (
        f"{c['gguf']} (accuracy level {c['accuracyLevel']}; speculation {default}), {threads} threads, greedy, "
        f"up to {c['generatedTokens']} tokens, medians of {c['rounds']} rounds"
    )
    lines = ("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in rows)
    return "\n".join([head, *lines])


def register(benches: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = benches.add_parser("speculative", help="local decoding speed with prompt-lookup drafts on and off, side by side")
    parser.add_argument("--gguf", type=Path, help="GGUF file to convert and measure (default: the embedded default model)")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads (default: one per core)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per prompt and setting, alternated (default 3)")
    parser.add_argument(
        "--accuracy-level", type=int, choices=(1, 4), default=4, help="MatMulNBits accuracy level to convert with (default 4)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    result = run(args.gguf, args.threads, args.rounds, args.accuracy_level, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0
