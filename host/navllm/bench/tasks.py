"""``navllm bench tasks``: the work pages do, timed beside llama.cpp (``workload``), and how well
the local model serves the task APIs (here), on fixed inputs written for navllm (``task_corpus``),
through the host's own handlers (policy, sessions, task prompting, constrained output, reply
parsing), exactly as a page's requests are served.

Reported, never asserted: for summaries, length against the input, how many of the passage's
names they keep and whether the promised shape holds (key-points bullets, a one-line headline);
for rewrites, whether the key words survive; for the proofreader, exact corrections and edits
made; for language detection, top-1 accuracy on the labelled set. Times are per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .task_corpus import LABELLED, PASSAGES, PROOFREAD, REWRITES

CALLER = {"kind": "extension", "origin": "navllm-bench://tasks"}  # the bench's own: no grant to give
DEADLINE = 600.0  # the first create loads the model


class Host:
    """The host's handler table behind its real dispatcher, in this process."""

    def __init__(self) -> None:
        from .. import app
        from ..dispatch.dispatcher import Dispatcher

        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.dispatcher = Dispatcher(lambda reply: self.replies.setdefault(reply.id, []).append(reply.wire()), app.handlers())
        self.count = 0

    async def call(self, type_: str, **body: Any) -> tuple[Any, str]:
        """The result of one request and the text of its chunks."""
        self.count += 1
        rid = f"b{self.count}"
        self.dispatcher.submit({"id": rid, "type": type_, "caller": CALLER, **body})
        end = time.monotonic() + DEADLINE
        while not any(r["type"] in ("done", "error") for r in self.replies.get(rid, [])):
            if time.monotonic() > end:
                raise TimeoutError(f"{type_} took over {DEADLINE:g} s")
            await asyncio.sleep(0.01)
        replies = self.replies.pop(rid)
        last = replies[-1]
        if last["type"] == "error":
            raise RuntimeError(f"{type_}: {last['error']['name']}: {last['error']['message']}")
        return last.get("data"), "".join(r.get("delta", "") for r in replies if r["type"] == "chunk")

    async def task(self, kind: str, **options: Any) -> str:
        created, _ = await self.call("task-create", options={"kind": kind, "provider": "local", **options})
        return str(created["task"])

    async def timed(self, task: str, text: str) -> tuple[Any, str, float]:
        started = time.perf_counter()
        result, streamed = await self.call("task-run", task=task, input=text)
        return result, streamed, (time.perf_counter() - started) * 1000


@contextmanager
def bench_home(log: Callable[[str], None]) -> Iterator[None]:
    """A throwaway NAVLLM_HOME with the local provider on the default model: the user's converted
    copy when there is one (linked, never written), else the embedded default converted here."""
    from ..models.store import ModelStore
    from ..paths import data_dir

    user_models = data_dir() / "models"
    with tempfile.TemporaryDirectory(prefix="navllm-bench-") as tmp:
        home = Path(tmp)
        (home / "data").mkdir()
        (home / "config").mkdir()
        (home / "config" / "settings.json").write_text(json.dumps({"providers": [{"name": "local", "kind": "local"}]}))
        if _has_default(user_models):
            (home / "data" / "models").symlink_to(user_models, target_is_directory=True)
        else:
            from .local import default_gguf

            log("converting the embedded default model …")
            ModelStore(home / "data" / "models").import_gguf(default_gguf(home / "fetch"))
        before = os.environ.get("NAVLLM_HOME")
        os.environ["NAVLLM_HOME"] = str(home)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("NAVLLM_HOME", None)
            else:
                os.environ["NAVLLM_HOME"] = before


def _has_default(models: Path) -> bool:
    from ..models.store import ModelStore

    try:
        return models.is_dir() and ModelStore(models).default(kind="chat") is not None
    except Exception:  # an unreadable store is no store to measure with
        return False


# -- measures -------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return [w.strip(".,;:!?\"'()").lower() for w in text.split() if w.strip(".,;:!?\"'()")]


def _bullets(text: str) -> list[str]:
    return [line for line in text.strip().split("\n") if line.strip()]


async def summaries(host: Host) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("key-points", "tldr", "headline"):
        task = await host.task("summarizer", type=kind, length="short", format="plain-text" if kind == "headline" else "markdown")
        ratios, recall, shaped, times, texts = [], [], [], [], []
        for passage in PASSAGES:
            _, text, ms = await host.timed(task, passage.text)
            texts.append(text)
            ratios.append(len(text) / len(passage.text))
            recall.append(sum(e.lower() in text.lower() for e in passage.entities) / len(passage.entities))
            lines = _bullets(text)
            if kind == "key-points":
                shaped.append(bool(lines) and all(line.lstrip().startswith(("- ", "* ")) for line in lines))
            elif kind == "headline":
                shaped.append(len(lines) == 1 and len(_words(text)) <= 12)
            times.append(ms)
        out[kind] = {
            "lengthRatio": statistics.mean(ratios),
            "shorterThanInput": sum(r < 1 for r in ratios) / len(ratios),
            "entityRecall": statistics.mean(recall),
            **({"shapeKept": sum(shaped) / len(shaped)} if shaped else {}),
            "msPerCall": statistics.median(times),
            "sample": texts[0],
        }
    return out


async def rewrites(host: Host) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tone in ("as-is", "more-formal"):
        task = await host.task("rewriter", tone=tone)
        kept, ratios, times, replies = [], [], [], []
        for text, keys in REWRITES:
            _, reply, ms = await host.timed(task, text)
            replies.append(reply)
            lowered = reply.lower()
            kept.append(sum(k in lowered for k in keys) / len(keys))
            ratios.append(len(reply) / len(text))
            times.append(ms)
        out[tone] = {
            "keyWordsKept": statistics.mean(kept),
            "lengthRatio": statistics.mean(ratios),
            "msPerCall": statistics.median(times),
            "sample": replies[0],
        }
    return out


async def proofreading(host: Host) -> dict[str, Any]:
    task = await host.task("proofreader", includeCorrectionTypes=True)
    exact, edits, times, samples = 0, [], [], []
    for fix in PROOFREAD:
        result, _, ms = await host.timed(task, fix.text)
        samples.append(result["correctedInput"])
        exact += result["correctedInput"].strip() == fix.corrected
        edits.append(len(result["corrections"]))
        times.append(ms)
    return {
        "exact": exact / len(PROOFREAD),
        "editsPerSentence": statistics.mean(edits),
        "msPerCall": statistics.median(times),
        "sample": samples[0],
    }


async def detection(host: Host) -> dict[str, Any]:
    task = await host.task("language-detector")
    right, total, times = 0, 0, []
    for language, sentences in LABELLED.items():
        for sentence in sentences:
            result, _, ms = await host.timed(task, sentence)
            right += result[0]["detectedLanguage"] == language
            total += 1
            times.append(ms)
    return {"accuracy": right / total, "sentences": total, "languages": len(LABELLED), "msPerCall": statistics.median(times)}


async def measure(log: Callable[[str], None]) -> dict[str, Any]:
    host = Host()
    results: dict[str, Any] = {}
    for name, step in (("summarizer", summaries), ("rewriter", rewrites), ("proofreader", proofreading), ("languageDetector", detection)):
        log(f"{name} …")
        results[name] = await step(host)
    return results


def run(log: Callable[[str], None] = print) -> dict[str, Any]:
    with bench_home(log):
        return asyncio.run(measure(log))


def table(results: dict[str, Any]) -> str:
    rows = [("measure", "value")]
    for api, parts in results.items():
        flat = parts if "msPerCall" in parts else {f"{variant} {k}": v for variant, figures in parts.items() for k, v in figures.items()}
        for key, value in flat.items():
            if key.endswith("sample"):
                continue  # texts are in --json
            rows.append(
                (
                    f"{api} {key}",
                    f"{value:.0f}" if key.endswith("msPerCall") or key == "sentences" or key == "languages" else f"{value:.2f}",
                )
            )
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name.ljust(width)}  {value.rjust(8)}" for name, value in rows)


def register(benches: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = benches.add_parser("tasks", help="the work pages do, timed beside llama.cpp; task API output quality on the local model")
    parser.add_argument("--only", choices=("time", "quality"), help="run one part (default: both)")
    parser.add_argument("--gguf", type=Path, help="GGUF file to time (default: the embedded default model)")
    parser.add_argument("--threads", type=int, default=None, help="threads for both engines when timing (default: one per core)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds, the engines' order alternated (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from . import workload

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    results: dict[str, Any] = {}
    if args.only in (None, "time"):
        results["time"] = workload.run(args.gguf, args.threads, args.rounds, log=log)
    if args.only in (None, "quality"):
        results["quality"] = run(log=log)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        tables = {"time": workload.table, "quality": table}
        print("\n\n".join(tables[part](figures) for part, figures in results.items()))
    return 0
