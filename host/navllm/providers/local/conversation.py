"""A conversation on the local model: chat template → token ids → the engine, keeping its KV cache.

Dispatch hands over the whole message list on every call. The conversation renders it with the
model's chat template and lets the engine reuse the longest token prefix already in the cache,
so a follow-up prompt prefills only its new tokens.

Rendering and tokenising a long history is the costly part of measuring it, and dispatch measures
the very messages it then feeds (to check they fit the window), so the last few encodings are
kept and a generation reuses the one its messages were measured with.

A request with a response constraint, tools or non-text parts goes through ``constrain/``
(constrained decoding): ``constrain.prepare`` gives the messages to render (instructions added,
tool calls and results written out as text) and ``constrain.decoder`` the token mask for the
sampler and the conversion of the generated text into reply chunks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING

from ...models.chat_template import ChatTemplate
from ...protocol.common import Constraint, Message, TextPart, ToolSpec
from ...protocol.errors import quota_exceeded
from ..base import Chunk, Conversation, Generation, Usage
from . import constrain, heap
from .engine import Job, engine_for
from .kv_cache import KVCache
from .memory import budget
from .sampler import Sampler, SamplerConfig

if TYPE_CHECKING:
    from .runtime import LoadedModel


# Encodings kept per conversation: enough for the eviction search's last probes and the measure
# of the history after a reply.
_ENCODINGS_KEPT = 4


def _needs_constrain(messages: Sequence[Message], constraint: Constraint | None, tools: Sequence[ToolSpec]) -> bool:
    return constraint is not None or bool(tools) or any(not isinstance(p, TextPart) for m in messages for p in m.content)


class LocalConversation(Conversation):
    def __init__(self, model: LoadedModel, context_window: int, defaults: SamplerConfig, cache: KVCache | None = None):
        info = model.info
        self.model = info.name
        self.context_window = min(context_window, info.context_length)
        self._loaded = model
        self._defaults = defaults
        self._cache = cache if cache is not None else KVCache(model.cache_shape(self.context_window))
        self._binding = model.new_binding()
        tok = model.tokenizer
        bos = "" if info.bos_token_id is None else tok.id_to_token(info.bos_token_id)
        self._template = ChatTemplate(info.chat_template, bos, tok.id_to_token(info.eos_token_ids[0]))
        self._encoded: dict[tuple[tuple[tuple[str, str], ...], str | None], list[int]] = {}  # the last few encodings, by what they render
        self._encoded_lock = threading.Lock()  # measure and generate encode on worker threads
        self._generating = 0
        budget.touch(self)

    @property
    def memory_bytes(self) -> int:
        return self._cache.nbytes

    @property
    def busy(self) -> bool:
        return self._generating > 0

    def drop_cache(self) -> None:
        """Free the KV memory (the next prompt prefills the whole history again)."""
        self._cache.release()
        self._binding = self._loaded.new_binding()  # the old binding still references the old buffers

    @property
    def cached_tokens(self) -> list[int]:
        return list(self._cache.tokens)

    def encode(self, messages: Sequence[Message]) -> list[int]:
        """Token ids the model is fed for ``messages``: the generation prompt follows, unless the last
        message is an assistant ``prefix``, whose text the reply continues."""
        prefix = messages[-1].text if messages and messages[-1].role == "assistant" and messages[-1].prefix else None
        body = [{"role": m.role, "content": m.text} for m in (messages[:-1] if prefix is not None else messages)]
        key = (tuple((m["role"], m["content"]) for m in body), prefix)
        with self._encoded_lock:
            ids = self._encoded.get(key)
        if ids is None:
            text = self._template.render(body, add_generation_prompt=True)
            info = self._loaded.info
            ids = self._loaded.tokenizer.encode(text + (prefix or ""), add_special_tokens=False).ids
            if info.add_bos and info.bos_token_id is not None and ids[:1] != [info.bos_token_id]:
                ids.insert(0, info.bos_token_id)
            if len(ids) <= self.context_window:  # what can't be fed is not kept (a page may measure MiBs)
                with self._encoded_lock:
                    self._encoded[key] = ids
                    while len(self._encoded) > _ENCODINGS_KEPT:
                        del self._encoded[next(iter(self._encoded))]
        return list(ids)

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        if _needs_constrain(messages, constraint, tools):
            messages = constrain.prepare(messages, constraint=constraint, tools=list(tools), omit_constraint_input=False)
        # Off the loop: rendering and tokenising a few MiB takes long enough to stall every origin.
        return len(await asyncio.to_thread(self.encode, messages))

    def sampler_config(self, request: Generation) -> SamplerConfig:
        s, d = request.sampling, self._defaults
        return SamplerConfig(
            temperature=d.temperature if s.temperature is None else s.temperature,
            top_k=d.top_k if s.top_k is None else s.top_k,
            top_p=d.top_p if s.top_p is None else s.top_p,
            seed=s.seed,
            repetition_penalty=d.repetition_penalty if s.repetition_penalty is None else s.repetition_penalty,
        )

    async def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        messages, decoder = request.messages, None
        if _needs_constrain(messages, request.constraint, request.tools):
            messages = constrain.prepare(
                messages, constraint=request.constraint, tools=request.tools, omit_constraint_input=request.omit_constraint_input
            )
            # Off the event loop: the first call indexes the vocabulary (~0.5 s), later ones compile a grammar.
            decoder = await asyncio.to_thread(constrain.decoder, request, self._loaded)
        ids = await asyncio.to_thread(self.encode, messages)
        if len(ids) >= self.context_window:
            raise quota_exceeded(
                f"the prompt needs {len(ids)} of the {self.context_window} tokens of the context window",
                requested=len(ids),
                quota=self.context_window,
            )
        job = Job(
            prompt=ids,
            sampler=Sampler(self.sampler_config(request)),
            max_tokens=request.sampling.max_tokens or self.context_window,
            stop=list(request.sampling.stop),
            constraint=decoder.constraint if decoder else None,
            origin=request.requester,
        )
        budget.touch(self)
        budget.settle(
            keep=self, extra=max(0, self._cache.bytes_for(min(len(ids) + job.max_tokens, self.context_window)) - self.memory_bytes)
        )
        self._generating += 1
        try:
            # aclosing: when our consumer stops early, the engine's stream is closed (and the worker
            # stopped) right away, not whenever the garbage collector finalizes it.
            async with aclosing(engine_for(self._loaded).generate(job, self._cache, self._binding)) as stream:
                async for item in stream:
                    if decoder is None:
                        yield item
                        continue
                    for chunk in [*decoder.end(), item] if isinstance(item, Usage) else decoder.feed(item):
                        yield chunk
        finally:
            self._generating -= 1

    def clone(self) -> LocalConversation:
        clone = LocalConversation(self._loaded, self.context_window, self._defaults, cache=self._cache.copy())
        budget.settle(keep=clone)
        return clone

    async def close(self) -> None:
        self.drop_cache()
        await asyncio.to_thread(heap.give_back)  # off the loop: ~7 ms after a long session
