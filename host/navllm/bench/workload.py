"""``navllm bench tasks``, timed: the work pages do, end to end on the local engine, beside llama.cpp.

Four tasks on fixed inputs written for navllm (``workload_corpus``): summarise a ~1,000-token
article as key points (the Summarizer's own prompt and constraint, ``tasks.prompts``), rewrite a
paragraph more formally (the Rewriter's), extract a registration as JSON under a JSON Schema (a
LanguageModel prompt with ``responseConstraint``), and a five-turn chat on one session. Each runs
on a fresh local conversation as a page's session does (chat template, constrained decoding, the
engine's defaults), timed from the request to the reply's last token. Replies are greedy, so a
task's work is the same every round.

The peer is llama.cpp (llama-cpp-python, loaded as ``bench local`` loads it, same GGUF and thread
count) doing the same work: fed the very token ids our engine was fed for each turn, keeping in
its cache what ours kept between turns, and generating as many tokens (greedy, end-of-sequence
masked), with no grammar and no template or tokenizer work, which only favours it. Then four
sessions at once on our engine, as four tabs, each doing every task in turn from a different
first task (their forwards shared), against llama.cpp serving the same sixteen tasks one after
another (four times its time for the four): aggregate output tokens per second. Medians of
``rounds`` rounds, the two engines' order alternated, in one process on one loaded model.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import local
from .workload_corpus import ARTICLE, CHAT, PARAGRAPH, RECORD_PROMPT, RECORD_SCHEMA

if TYPE_CHECKING:
    from ..providers.base import Generation
    from ..providers.local.runtime import LoadedModel

TASKS = ("summarise", "rewrite", "extract", "chat")
CHAT_REPLY = 160  # tokens a chat turn may take: a page seldom bounds it, a benchmark must
SESSIONS = 4  # at once, as several tabs would be
PEER_CONTEXT = 4096  # llama.cpp's context: the longest task (the five-turn chat) fits with room


@dataclass(frozen=True)
class Turn:
    prompt: list[int]  # every id of the turn's prompt
    cached: int  # how many of them were already in the cache
    generated: int  # reply tokens


@dataclass(frozen=True)
class Served:
    seconds: float
    turns: list[Turn]
    replies: list[str]

    @property
    def tokens(self) -> int:
        return sum(t.generated for t in self.turns)


def _request(task: str, replies: list[str]) -> Generation | None:
    """The task's next request after ``replies`` (None once it is done)."""
    from ..protocol.common import JsonSchemaConstraint, Sampling, text_message
    from ..protocol.tasks import TaskOptions
    from ..providers.base import Generation
    from ..tasks import prompts

    if task == "chat":
        if len(replies) == len(CHAT):
            return None
        history = [
            m for asked, said in zip(CHAT, replies, strict=False) for m in (text_message("user", asked), text_message("assistant", said))
        ]
        return Generation(
            messages=[*history, text_message("user", CHAT[len(replies)])], sampling=Sampling(temperature=0, max_tokens=CHAT_REPLY)
        )
    if replies:
        return None
    if task == "summarise":
        options = TaskOptions(kind="summarizer", type="key-points", length="medium", format="markdown")
        return prompts.generation(options, "local", ARTICLE, None)
    if task == "rewrite":
        return prompts.generation(TaskOptions(kind="rewriter", tone="more-formal"), "local", PARAGRAPH, None)
    return Generation(
        messages=[text_message("user", RECORD_PROMPT)],
        sampling=Sampling(temperature=0, max_tokens=256),
        constraint=JsonSchemaConstraint(schema_=RECORD_SCHEMA),
    )


def _common(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


async def _serve(model: LoadedModel, task: str) -> Served:
    """One task on a fresh conversation, as a page's session runs it."""
    from ..providers.base import Usage
    from ..providers.local.conversation import LocalConversation
    from ..providers.local.sampler import SamplerConfig

    conversation = LocalConversation(model, model.info.context_length, SamplerConfig())
    turns: list[Turn] = []
    replies: list[str] = []
    started = time.perf_counter()
    while (generation := _request(task, replies)) is not None:
        before = conversation.cached_tokens
        parts: list[str] = []
        usage = Usage(0, 0)
        async for chunk in conversation.generate(replace(generation, requester=f"bench:{task}")):
            if isinstance(chunk, Usage):
                usage = chunk
            elif isinstance(chunk, str):
                parts.append(chunk)
        replies.append("".join(parts))
        prompt = conversation.cached_tokens[: usage.input_tokens]
        turns.append(Turn(prompt, min(_common(before, prompt), len(prompt) - 1), usage.output_tokens))
    seconds = time.perf_counter() - started
    await conversation.close()
    return Served(seconds, turns, replies)


def _replay(llama: local.LlamaCpp, served: Served, ends: list[int]) -> float:
    """llama.cpp doing ``served``'s work: each turn's prompt fed past what its cache keeps, then as
    many tokens generated; the seconds it took."""
    import numpy as np

    started = time.perf_counter()
    llama.start(PEER_CONTEXT)
    for turn in served.turns:
        # Its cache holds its own reply where ours holds ours: keep as many positions as ours kept.
        kept = llama.rewind(turn.cached)
        logits = llama.feed(None, turn.prompt[kept:])
        for step in range(turn.generated):
            masked = logits.copy()  # the feed's logits are llama.cpp's own buffer
            masked[ends] = -np.inf
            if step < turn.generated - 1:
                logits = llama.feed(None, [int(np.argmax(masked))])
    return time.perf_counter() - started


async def _sessions(model: LoadedModel) -> tuple[float, list[dict[str, Served]]]:
    """``SESSIONS`` sessions at once, each doing every task in turn, each starting at another task."""

    async def session(first: int) -> dict[str, Served]:
        order = TASKS[first:] + TASKS[:first]
        return {task: await _serve(model, task) for task in order}

    started = time.perf_counter()
    done = await asyncio.gather(*(session(i % len(TASKS)) for i in range(SESSIONS)))
    return time.perf_counter() - started, list(done)


def run(gguf: Path | None, threads: int | None, rounds: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from ..models.convert import convert_gguf
    from ..providers.local import runtime

    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp:
        work = Path(tmp)
        gguf = gguf or local.default_gguf(work / "fetch")
        log(f"converting {gguf.name} …")
        convert_gguf(gguf, work / "model")
        model = runtime.load(work / "model", threads)
        ends = list(model.info.eos_token_ids)
        llama = local.LlamaCpp(gguf, threads or local.cpus(), context=PEER_CONTEXT) if local._has_llama_cpp() else None
        if llama is None:
            log(f"{local.MISSING}; reporting navllm alone")
        log("a first pass, untimed (the grammar engine's vocabulary index, the model's pages) …")
        script = {task: asyncio.run(_serve(model, task)) for task in TASKS}
        ours: dict[str, list[float]] = {task: [] for task in TASKS}
        theirs: dict[str, list[float]] = {task: [] for task in TASKS}
        same = True
        together: list[float] = []
        for r in range(rounds):
            log(f"round {r + 1}/{rounds}")
            for task in TASKS:
                if llama is not None and r % 2:
                    theirs[task].append(_replay(llama, script[task], ends))
                served = asyncio.run(_serve(model, task))
                ours[task].append(served.seconds)
                same &= served.replies == script[task].replies
                if llama is not None and not r % 2:
                    theirs[task].append(_replay(llama, script[task], ends))
            seconds, sessions = asyncio.run(_sessions(model))
            together.append(seconds)
            same &= all(s.replies == script[task].replies for done in sessions for task, s in done.items())
    med = statistics.median
    tasks: dict[str, Any] = {}
    for task in TASKS:
        s = script[task]
        mine, peer = med(ours[task]), (med(theirs[task]) if theirs[task] else None)
        tasks[task] = {
            "turns": len(s.turns),
            "promptTokens": sum(len(t.prompt) - t.cached for t in s.turns),
            "outputTokens": s.tokens,
            "seconds": mine,
            "tps": s.tokens / mine,
            "llamaCppSeconds": peer,
            "llamaCppTps": s.tokens / peer if peer else None,
            "ratio": mine / peer if peer else None,
            "sample": s.replies[-1],
        }
    tokens = SESSIONS * sum(s.tokens for s in script.values())
    serial = SESSIONS * sum(t["llamaCppSeconds"] for t in tasks.values()) if llama is not None else None
    ratios = [t["ratio"] for t in tasks.values() if t["ratio"] is not None]
    return {
        "config": {
            "gguf": gguf.name,
            "threads": threads,
            "rounds": rounds,
            "peer": "llama.cpp, same prompts and reply lengths" if llama is not None else local.MISSING,
        },
        "tasks": tasks,
        "meanRatio": statistics.mean(ratios) if ratios else None,
        "together": {
            "sessions": SESSIONS,
            "seconds": med(together),
            "tps": tokens / med(together),
            "llamaCppSerialSeconds": serial,
            "llamaCppSerialTps": tokens / serial if serial else None,
            "ratio": (tokens / med(together)) / (tokens / serial) if serial else None,
        },
        "sameReplies": same,
    }


def table(result: dict[str, Any]) -> str:
    def opt(value: float | None, spec: str, suffix: str = "") -> str:
        return "missing" if value is None else f"{value:{spec}}{suffix}"

    rows = [["task", "turns", "fed tok", "reply tok", "navllm s", "navllm tok/s", "llama.cpp s", "llama.cpp tok/s", "time ratio"]]
    for name, t in result["tasks"].items():
        rows.append(
            [
                name,
                str(t["turns"]),
                str(t["promptTokens"]),
                str(t["outputTokens"]),
                f"{t['seconds']:.2f}",
                f"{t['tps']:.1f}",
                opt(t["llamaCppSeconds"], ".2f"),
                opt(t["llamaCppTps"], ".1f"),
                opt(t["ratio"], ".2f", "x"),
            ]
        )
    g = result["together"]
    rows.append(
        [
            f"{g['sessions']} sessions at once",
            "",
            "",
            "",
            f"{g['seconds']:.2f}",
            f"{g['tps']:.1f}",
            opt(g["llamaCppSerialSeconds"], ".2f"),
            opt(g["llamaCppSerialTps"], ".1f"),
            opt(g["ratio"], ".2f", "x tok/s"),
        ]
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    c = result["config"]
    head = f"{c['gguf']}, {c['threads'] or 'all'} threads, greedy, medians of {c['rounds']} rounds"
    lines = ("  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows)
    mean = result["meanRatio"]
    foot = [
        f"mean time ratio over the tasks: {opt(mean, '.2f', 'x')}" if c["peer"] != local.MISSING else f"llama.cpp: {local.MISSING}",
        f"same replies every round: {'yes' if result['sameReplies'] else 'no'}",
    ]
    return "\n".join([head, *lines, *foot])
