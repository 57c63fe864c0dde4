"""The generation loop: prefill what the cache lacks, then sample token by token in a worker thread.

Speculative decoding by prompt lookup: after each token, ``lookup`` guesses the next few by
copying what followed the same few tokens earlier in the prompt or the reply, and one forward
pass over the token and its guesses returns the logits of every one of those positions (the
graph's ``logits_to_keep``; a 4-bit matmul costs little more for a few rows than for one). The
positions are then taken in order as if decoded one by one: the sampler picks each token from
its row (greedy: the argmax; sampled: the rejection rule in ``Sampler.verify``, which keeps the
distribution exact), a guess it agrees with is kept and the next row is already computed, and
the first disagreement ends the round: the cache is cut back to the tokens kept (its stale
positions are simply overwritten) and the sampler's token is fed with new guesses. Masks,
stop sequences, the token budget and cancellation see one token at a time, as without guesses.
Graphs converted before ``logits_to_keep`` existed decode without guesses. Several positions of
one conversation do not round as one does: onnxruntime's attention takes another GEMM kernel for
a single query row (ulp-sized differences), which the int8 activations of the shipped graph grow
to ~0.8 logit, so a greedy reply could part from the unspeculated one at a near-tie; by default
(``Job.speculate == "exact"``) guesses are made only where a probe found the two agree
(``LoadedModel.drafts_exact``: fp32 activations, ``--accuracy-level 1``; docs/benchmarks.md
measures making them agree on the shipped graph, and why it does not pay).

Each model has one worker thread, which takes turns among the generations it holds (``_round``).
While two or more are decoding, their next tokens share one forward, one row each (``pool``; at
most ``pool.ROWS``, the rows going round-robin over origins, ``scheduler``), and each row's logits
go to that generation's own sampler, constraint and stop sequences. On the shipped graph (int8
activations) a row's logits are bit-identical to those it gets alone, so replies do not depend
on who else is decoding; with fp32 activations (``--accuracy-level 1``) they differ by ~1e-4,
which can flip a near-tie. Prompts are prefilled
on the conversation's own cache in chunks of ``PREFILL_CHUNK`` tokens, one chunk per round, so a
long prompt delays the others' tokens by a chunk, not by the whole prompt. Drafts are verified
only for a generation decoding alone: with several, the batch already fills the forward that
drafts would fill, and a draft round (several positions of one conversation) cannot share a
forward with the others' single positions. Graphs converted before the batch dimension decode one
generation at a time, the others waiting in order.

The async side streams text as the worker produces it; when the consumer goes away (a cancelled
request), its generation leaves at the next round and a running forward of its own is
terminated through onnxruntime's run options; the others carry on undisturbed.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncGenerator, Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..base import Usage
from . import heap
from .detokenizer import Detokenizer
from .lookup import PromptLookup
from .memory import budget
from .pool import ROWS, BatchPool
from .sampler import Sampler, TokenConstraint
from .scheduler import Turns
from .stops import StopMatcher

if TYPE_CHECKING:
    import numpy as np

    from .kv_cache import KVCache
    from .runtime import Binding, LoadedModel

PREFILL_CHUNK = 128  # prompt tokens per forward: ~0.15 s of SmolLM2 on two cores, the others' wait for a token


@dataclass
class Job:
    prompt: list[int]
    sampler: Sampler
    max_tokens: int
    stop: list[str] = field(default_factory=list)
    constraint: TokenConstraint | None = None
    # Prompt-lookup drafts: "exact" where verifying them leaves replies unchanged (the model's
    # ``drafts_exact``), "always" wherever the graph can verify them, "off" never.
    speculate: Literal["exact", "always", "off"] = "exact"
    # Whose turn this generation takes when more wait to decode than a forward holds (None: its own).
    origin: Hashable | None = None


class _Cancelled(Exception):
    pass


# What the worker hands the async side: text, the closing Usage, a failure, or None at the end.
_Item = str | Usage | BaseException | None


class _Run:
    """One generation in the worker: what it feeds next, and what its sampler has chosen so far."""

    def __init__(self, engine: Engine, job: Job, cache: KVCache, binding: Binding, emit: Callable[[_Item], None]):
        self.engine, self.job, self.cache, self.binding, self.emit = engine, job, cache, binding, emit
        self.origin: Hashable = job.origin if job.origin is not None else object()  # its own turn; not self, which would be a cycle
        self.cancel = threading.Event()
        self.run_options = engine._ort.RunOptions()  # terminated on cancel: only this generation's own forwards use it
        self.done: Future[None] = Future()
        self.detok = Detokenizer(engine.model.tokenizer)
        self.stops = StopMatcher(job.stop)
        self.eos = set(engine.model.info.eos_token_ids)
        self.lookup: PromptLookup | None = None
        self.budget = min(job.max_tokens, cache.shape.limit - len(job.prompt) + 1)
        self.generated: list[int] = []
        self.feed: list[int] = []  # the ids to feed next: prompt still to prefill, or the last token and its drafts
        self.drafts: list[int] = []
        self.drafted = self.accepted = 0  # in the last verifying forward
        self.finished = False

    def start(self) -> None:
        """On the worker: reuse the longest cached prefix (at least one token must be fed to get
        fresh logits) and decide on drafts (``drafts_exact`` probes the model once)."""
        model, job, prompt = self.engine.model, self.job, self.job.prompt
        keep = min(_common_prefix(self.cache.tokens, prompt), len(prompt) - 1)
        self.cache.truncate(keep)
        self.feed = prompt[keep:]
        wanted = job.speculate == "always" or (job.speculate == "exact" and model.drafts_exact)
        self.lookup = PromptLookup(prompt) if wanted and model.verifies_drafts else None
        if self.budget <= 0:
            self.finish()

    @property
    def decoding(self) -> bool:
        """True when the next forward is one token of this generation: it can share a batch."""
        return len(self.feed) == 1 and not self.finished

    def take(self, rows: deque[tuple[np.ndarray, int | None]], alone: bool) -> None:
        """Choose tokens from ``rows`` in order (each with the draft it verifies); stop at the first
        token not yet fed, which becomes ``feed`` with new drafts behind it when ``alone``."""
        job, prompt, generated, lookup, engine = self.job, self.job.prompt, self.generated, self.lookup, self.engine
        while rows and not self.cancel.is_set():
            logits, draft = rows.popleft()
            allowed = job.constraint.mask(generated) if job.constraint else None
            previous = prompt + generated if job.sampler.config.repetition_penalty else ()
            sampler = job.sampler
            token = sampler.sample(logits, previous, allowed) if draft is None else sampler.verify(logits, draft, previous, allowed)
            if token == draft:
                self.accepted += 1
                engine.accepted += 1
            elif lookup and self.drafted:
                lookup.verified(self.drafted, self.accepted)
            if token in self.eos:
                self.finish()
                return
            generated.append(token)
            if lookup:
                lookup.push(token)
            if job.constraint:
                job.constraint.advance(token)
            if text := self.stops.push(self.detok.push(token)):
                self.emit(text)
            if self.stops.stopped or len(generated) >= self.budget:
                self.finish()
                return
            if token == draft:
                continue  # already fed as a draft: the next row's logits follow it
            # Cut the cache back to the tokens kept, then feed this one with the next guesses behind it.
            self.cache.truncate(len(prompt) + len(generated) - 1)
            room = min(self.budget, self.cache.shape.limit - len(prompt)) - len(generated)
            self.drafts = self._drafts(room) if alone else []
            self.drafted, self.accepted = len(self.drafts), 0
            engine.drafted += self.drafted
            self.feed = [token, *self.drafts]
            return

    def _drafts(self, room: int) -> list[int]:
        """The guesses to verify after the last token: at most ``room``, and none the constraint refuses."""
        if self.lookup is None:
            return []
        drafts = self.lookup.draft(room)
        if drafts and self.job.constraint:
            drafts = drafts[: self.job.constraint.valid_prefix(drafts)]
        return drafts

    def finish(self) -> None:
        self.finished = True
        self.feed = []
        self.cache.truncate(min(len(self.cache), len(self.job.prompt) + len(self.generated)))  # drop drafts nothing confirmed
        if tail := self.stops.push(self.detok.flush()) + self.stops.flush():
            self.emit(tail)
        self.emit(Usage(input_tokens=len(self.job.prompt), output_tokens=len(self.generated)))


class Engine:
    def __init__(self, model: LoadedModel):
        import onnxruntime as ort

        self.model = model
        self._ort = ort
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"navllm-{model.info.name}")
        self._lock = threading.Lock()  # guards _arriving and _pumping, shared with the event loop's thread
        self._arriving: deque[_Run] = deque()
        self._pumping = False
        self._runs: list[_Run] = []  # the worker's own from here on
        self.pool = BatchPool(model)
        budget.touch(self.pool)  # its rows count with the conversations' caches
        self._batch_turns, self._solo_turns = Turns(), Turns()
        self.drafted = 0  # drafted tokens verified since start, and how many of them were kept
        self.accepted = 0
        self.batched = 0  # tokens decoded in forwards shared by several generations

    async def generate(self, job: Job, cache: KVCache, binding: Binding) -> AsyncGenerator[str | Usage, None]:
        """Stream text deltas, then one Usage; closing the iterator stops this generation promptly."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Item] = asyncio.Queue()

        def emit(item: _Item) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        run = _Run(self, job, cache, binding, emit)
        with self._lock:
            self._arriving.append(run)
            if not self._pumping:
                self._pumping = True
                self._worker.submit(self._work)
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if not run.done.done():
                run.cancel.set()
                run.run_options.terminate = True
                # Wait for the worker to leave the cache consistent before anyone touches it again.
                await asyncio.shield(asyncio.wrap_future(run.done))

    def _work(self) -> None:
        self._pump()
        heap.give_back()  # idle, the generations' references gone with _pump's frame: what they freed goes back

    def _pump(self) -> None:
        """The worker: admit arriving generations, then take rounds until none is left."""
        try:
            while True:
                with self._lock:
                    admitted: list[_Run] = []
                    # A graph without the batch dimension runs one generation at a time, the others wait in order.
                    while self._arriving and (self.model.batches or (not self._runs and not admitted)):
                        admitted.append(self._arriving.popleft())
                    if not self._runs and not admitted:
                        self._pumping = False
                        break
                for run in admitted:
                    self._runs.append(run)
                    self._guarded([run], run.start)
                self._round()
                if len(self._runs) < 2:
                    self.pool.release()
        except BaseException as exc:  # a fault of the loop itself: no generation may wait forever
            with self._lock:
                stranded, self._runs = [*self._runs, *self._arriving], []
                self._arriving.clear()
                self._pumping = False
            for run in stranded:
                self._end(run, exc)
            raise

    def _round(self) -> None:
        """Drop cancelled generations; one shared forward for those decoding (or a lone one's own),
        then one prefill chunk or draft round of another."""
        for run in [r for r in self._runs if r.cancel.is_set()]:
            self._end(run, None)
        decoding = [r for r in self._runs if r.decoding]
        if len(decoding) >= 2 and self.model.batches:
            together = self._batch_turns.pick(decoding, ROWS)
            self._guarded(together, lambda: self._batched(together))
        elif decoding:
            self._guarded(decoding[:1], lambda: self._solo(decoding[0]))
        others = [r for r in self._runs if r.feed and not r.decoding]
        if others:
            run = self._solo_turns.pick(others, 1)[0]
            self._guarded([run], lambda: self._solo(run))
        for run in [r for r in self._runs if r.finished]:
            self._end(run, None)
        self._batch_turns.keep_only(self._runs)
        self._solo_turns.keep_only(self._runs)

    def _batched(self, runs: list[_Run]) -> None:
        logits = self.pool.step([(run, run.cache, run.feed[0]) for run in runs])
        self.batched += len(runs)
        for run, row in zip(runs, logits, strict=True):
            run.take(deque([(row, None)]), alone=False)

    def _solo(self, run: _Run) -> None:
        """Feed ``run``'s next ids on its own cache: a prefill chunk, or its token and drafts."""
        self.pool.forget(run)
        if len(run.feed) > PREFILL_CHUNK:  # only a prompt is this long: drafts are a few tokens
            chunk, run.feed = run.feed[:PREFILL_CHUNK], run.feed[PREFILL_CHUNK:]
            self._forward(run, chunk, 1)
            return
        ids, drafts = run.feed, run.drafts
        logits = self._forward(run, ids, 1 + len(drafts))
        run.take(_rows(logits, drafts), alone=len(self._runs) == 1 and not self._arriving)

    def _forward(self, run: _Run, ids: list[int], keep: int) -> np.ndarray:
        try:
            return self.model.forward_tail(ids, run.cache, run.binding, keep, run.run_options)
        except Exception:
            if run.cancel.is_set():  # onnxruntime aborts a terminated run with a generic error
                raise _Cancelled from None
            raise

    def _guarded(self, runs: list[_Run], step: Callable[[], None]) -> None:
        """Run ``step``; if it fails, end ``runs`` with the failure (a cancelled one quietly)."""
        try:
            step()
        except _Cancelled:
            for run in runs:
                self._end(run, None)
        except Exception as exc:  # handed to each consumer, re-raised there
            for run in runs:
                self._end(run, None if run.cancel.is_set() else exc)

    def _end(self, run: _Run, failure: BaseException | None) -> None:
        if run in self._runs:
            self._runs.remove(run)
        self.pool.forget(run)
        if failure is not None:
            run.emit(failure)
        run.emit(None)
        run.done.set_result(None)


def _rows(logits: np.ndarray, drafts: list[int]) -> deque[tuple[np.ndarray, int | None]]:
    """Each row of ``logits`` with the draft it verifies; the last row follows every draft."""
    guesses: list[int | None] = [*drafts, None]
    return deque(zip(logits, guesses, strict=True))


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


_engines: dict[LoadedModel, Engine] = {}
_lock = threading.Lock()


def engine_for(model: LoadedModel) -> Engine:
    """The one engine (and worker thread) of a loaded model."""
    with _lock:
        if model not in _engines:
            _engines[model] = Engine(model)
        return _engines[model]
