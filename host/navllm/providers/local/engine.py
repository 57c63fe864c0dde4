"""The generation loop: prefill what the cache lacks, then sample token by token in a worker thread.

Each model has one worker thread, so generations on a model run one at a time and the others
queue in order. The async side streams text as the worker produces it; when the consumer goes
away (a cancelled request), an event stops the loop between tokens and a running forward pass
is terminated through onnxruntime's run options.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..base import Usage
from .detokenizer import Detokenizer
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
        logits = self._forward(prompt[keep:], cache, binding, run_options, cancel)
        detok = Detokenizer(model.tokenizer)
        stops = StopMatcher(job.stop)
        eos = set(model.info.eos_token_ids)
        generated: list[int] = []
        room = cache.shape.limit - len(prompt)
        while len(generated) < min(job.max_tokens, room + 1) and not cancel.is_set():
            allowed = job.constraint.mask(generated) if job.constraint else None
            token = job.sampler.sample(logits, prompt + generated if job.sampler.config.repetition_penalty else (), allowed)
            if token in eos:
                break
            generated.append(token)
            if job.constraint:
                job.constraint.advance(token)
            if text := stops.push(detok.push(token)):
                emit(text)
            if stops.stopped or len(generated) >= min(job.max_tokens, room + 1):
                break
            logits = self._forward([token], cache, binding, run_options, cancel)
        if cancel.is_set():
            raise _Cancelled
        if tail := stops.push(detok.flush()) + stops.flush():
            emit(tail)
        emit(Usage(input_tokens=len(prompt), output_tokens=len(generated)))

    def _forward(
        self, ids: list[int], cache: KVCache, binding: Binding, run_options: ort.RunOptions, cancel: threading.Event
    ) -> np.ndarray:
        try:
            return self.model.forward(ids, cache, binding, run_options)
        except Exception:
            if cancel.is_set():  # onnxruntime aborts a terminated run with a generic error
                raise _Cancelled from None
            raise


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
