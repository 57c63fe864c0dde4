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
Graphs converted before ``logits_to_keep`` existed decode without guesses. The rows come from
onnxruntime's several-row kernels: with int8 activations (the shipped graph) they round unlike its
one-row kernel, so a greedy reply could part from the unspeculated one at a near-tie; by default
(``Job.speculate == "exact"``) guesses are made only where a probe found both kernels agree
(``LoadedModel.drafts_exact``: fp32 activations, ``--accuracy-level 1``).

Each model has one worker thread, so generations on a model run one at a time and the others
queue in order. The async side streams text as the worker produces it; when the consumer goes
away (a cancelled request), an event stops the loop between tokens and a running forward pass
is terminated through onnxruntime's run options.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..base import Usage
from .detokenizer import Detokenizer
from .lookup import PromptLookup
from .sampler import Sampler, TokenConstraint
from .stops import StopMatcher

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime as ort

    from .kv_cache import KVCache
    from .runtime import Binding, LoadedModel


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


class _Cancelled(Exception):
    pass


# What the worker hands the async side: text, the closing Usage, a failure, or None at the end.
_Item = str | Usage | BaseException | None


class Engine:
    def __init__(self, model: LoadedModel):
        import onnxruntime as ort

        self.model = model
        self._ort = ort
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"navllm-{model.info.name}")
        self.drafted = 0  # drafted tokens verified since start, and how many of them were kept
        self.accepted = 0

    async def generate(self, job: Job, cache: KVCache, binding: Binding) -> AsyncGenerator[str | Usage, None]:
        """Stream text deltas, then one Usage; closing the iterator stops the worker promptly."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        cancel = threading.Event()
        run_options = self._ort.RunOptions()

        def emit(item: _Item) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            try:
                self._run(job, cache, binding, cancel, run_options, emit)
            except _Cancelled:
                pass
            except BaseException as exc:  # handed to the consumer, re-raised there
                emit(exc)
            finally:
                emit(None)

        future = self._worker.submit(work)
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if not future.done():
                cancel.set()
                run_options.terminate = True
                # Wait for the worker to leave the cache consistent before anyone touches it again.
                await asyncio.shield(asyncio.wrap_future(future))

    def _run(
        self,
        job: Job,
        cache: KVCache,
        binding: Binding,
        cancel: threading.Event,
        run_options: ort.RunOptions,
        emit: Callable[[_Item], None],
    ) -> None:
        model = self.model
        prompt = job.prompt
        if cancel.is_set():
            raise _Cancelled
        # Reuse the longest cached prefix; at least one token must be fed to get fresh logits.
        keep = min(_common_prefix(cache.tokens, prompt), len(prompt) - 1)
        cache.truncate(keep)
        detok = Detokenizer(model.tokenizer)
        stops = StopMatcher(job.stop)
        eos = set(model.info.eos_token_ids)
        wanted = job.speculate == "always" or (job.speculate == "exact" and model.drafts_exact)
        lookup = PromptLookup(prompt) if wanted and model.verifies_drafts else None
        generated: list[int] = []
        budget = min(job.max_tokens, cache.shape.limit - len(prompt) + 1)
        # Each row of logits predicts one position; its draft is the token guessed there (None: no guess).
        rows = _rows(self._forward(prompt[keep:], 1, cache, binding, run_options, cancel), [])
        drafted = accepted = 0  # in the last verifying forward
        while len(generated) < budget and not cancel.is_set():
            logits, draft = rows.popleft()
            allowed = job.constraint.mask(generated) if job.constraint else None
            previous = prompt + generated if job.sampler.config.repetition_penalty else ()
            sampler = job.sampler
            token = sampler.sample(logits, previous, allowed) if draft is None else sampler.verify(logits, draft, previous, allowed)
            if token == draft:
                accepted += 1
                self.accepted += 1
            elif lookup and drafted:
                lookup.verified(drafted, accepted)
            if token in eos:
                break
            generated.append(token)
            if lookup:
                lookup.push(token)
            if job.constraint:
                job.constraint.advance(token)
            if text := stops.push(detok.push(token)):
                emit(text)
            if stops.stopped or len(generated) >= budget:
                break
            if token == draft:
                continue  # already fed as a draft: the next row's logits follow it
            # Cut the cache back to the tokens kept, then feed this one with the next guesses behind it.
            cache.truncate(len(prompt) + len(generated) - 1)
            drafts = self._drafts(lookup, job.constraint, min(budget, cache.shape.limit - len(prompt)) - len(generated))
            drafted, accepted = len(drafts), 0
            self.drafted += drafted
            rows = _rows(self._forward([token, *drafts], 1 + drafted, cache, binding, run_options, cancel), drafts)
        if cancel.is_set():
            raise _Cancelled
        cache.truncate(min(len(cache), len(prompt) + len(generated)))  # drop drafts nothing confirmed
        if tail := stops.push(detok.flush()) + stops.flush():
            emit(tail)
        emit(Usage(input_tokens=len(prompt), output_tokens=len(generated)))

    @staticmethod
    def _drafts(lookup: PromptLookup | None, constraint: TokenConstraint | None, room: int) -> list[int]:
        """The guesses to verify after the last token: at most ``room``, and none the constraint refuses."""
        if lookup is None:
            return []
        drafts = lookup.draft(room)
        if drafts and constraint:
            drafts = drafts[: constraint.valid_prefix(drafts)]
        return drafts

    def _forward(
        self, ids: list[int], keep: int, cache: KVCache, binding: Binding, run_options: ort.RunOptions, cancel: threading.Event
    ) -> np.ndarray:
        try:
            return self.model.forward_tail(ids, cache, binding, keep, run_options)
        except Exception:
            if cancel.is_set():  # onnxruntime aborts a terminated run with a generic error
                raise _Cancelled from None
            raise


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
