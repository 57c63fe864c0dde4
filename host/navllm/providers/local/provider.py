"""The ``local`` provider: models from the store, run on this machine by our own engine.

Availability follows the store: ``available`` once the default chat model is installed,
``downloading`` while this host pulls it, ``downloadable`` before. ``open`` pulls the model if
needed (reporting progress), loads it once per host, and starts a conversation.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from ...protocol.common import Availability
from ...protocol.errors import ErrorName, NavError
from ...protocol.page import CoreOptions
from ..base import Conversation, ProgressCallback, Provider, SamplingLimits, check_expected
from .sampler import SamplerConfig

if TYPE_CHECKING:
    from ...models.store import InstalledModel, ModelStore

_ACCEPTS = frozenset({"text", "tool-call", "tool-response"})
_LANGUAGES = frozenset({"en"})  # the default model, SmolLM2, is trained on English
LIMITS = SamplingLimits(default_top_k=3, max_top_k=128, default_temperature=0.7, max_temperature=2.0)


class LocalProvider(Provider):
    remote = False

    def __init__(self, name: str = "local", model: str | None = None, threads: int | None = None, context_window: int | None = None):
        self.name = name
        self._model_name = model
        self._threads = threads
        self._context = context_window  # None: the context the model was trained for (memory.py bounds the total)

    @staticmethod
    def _store() -> ModelStore:
        from ...models.store import ModelStore

        return ModelStore()

    def _wanted(self, options: CoreOptions) -> str | None:
        return options.model or self._model_name

    def _installed(self, options: CoreOptions) -> InstalledModel | None:
        store, name = self._store(), self._wanted(options)
        if name is None:
            return store.default(kind="chat")
        try:
            return store.get(name)
        except NavError:
            return None

    def _state(self, options: CoreOptions) -> Availability:
        from ...models.store import DEFAULT_CHAT_SOURCE

        if self._installed(options) is not None:
            return "available"
        if self._wanted(options):
            return "unavailable"  # a named model that is not installed is not ours to fetch
        return "downloading" if DEFAULT_CHAT_SOURCE in self._store().pulls() else "downloadable"

    async def availability(self, options: CoreOptions) -> Availability:
        if not check_expected(options, _ACCEPTS) or not _speaks(options):
            return "unavailable"
        return await asyncio.to_thread(self._state, options)

    async def open(self, options: CoreOptions, progress: ProgressCallback) -> Conversation:
        from . import runtime
        from .conversation import LocalConversation

        if not check_expected(options, _ACCEPTS) or not _speaks(options):
            raise NavError(ErrorName.NOT_SUPPORTED, "the local model reads and writes English text only")
        installed = await asyncio.to_thread(self._installed, options)
        if installed is None:
            if self._wanted(options):
                raise NavError(ErrorName.NOT_SUPPORTED, f"no local model named {self._wanted(options)!r} is installed")
            installed = await self._download(progress)
        loaded = await asyncio.to_thread(runtime.load, installed.path, self._threads)
        return LocalConversation(loaded, self._context or loaded.info.context_length, _defaults())

    async def _download(self, progress: ProgressCallback) -> InstalledModel:
        """Pull the default chat model; the store runs one pull however many sessions wait for it."""
        from ...models.store import DEFAULT_CHAT_SOURCE

        loop = asyncio.get_running_loop()
        cancel = threading.Event()

        def report(fraction: float, stage: str) -> None:
            loop.call_soon_threadsafe(progress, min(max(fraction, 0.0), 1.0))

        try:
            return await asyncio.to_thread(self._store().pull, DEFAULT_CHAT_SOURCE, report, cancel)
        finally:
            cancel.set()  # this waiter is gone (done or aborted); the pull itself carries on for others

    def sampling_limits(self) -> SamplingLimits:
        return LIMITS

    async def models(self) -> list[dict[str, Any]]:
        listed = await asyncio.to_thread(lambda: self._store().list())
        return [{"model": m.name, "kind": m.kind} for m in listed]

    async def embed(self, texts: list[str], model: str | None) -> list[list[float]]:
        from .embedder import embed

        return await asyncio.to_thread(embed, texts, model)


def _defaults() -> SamplerConfig:
    return SamplerConfig(temperature=LIMITS.default_temperature, top_k=LIMITS.default_top_k)


def _speaks(options: CoreOptions) -> bool:
    """True if every language the page expects is one the model handles ("en-GB" counts as "en")."""
    wanted = {lang.split("-")[0].lower() for e in (*options.expected_inputs, *options.expected_outputs) for lang in e.languages}
    return wanted <= _LANGUAGES
