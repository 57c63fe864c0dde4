"""Turn the user's provider chain into providers, and pick the ones a request may try, in order.

The user's order is the fallback chain: a session opens on the first provider that can
serve it and keeps the ones after it as fallbacks (``FallbackConversation``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..protocol.errors import ErrorName, NavError
from ..protocol.page import CoreOptions, ModelChoice
from ..settings import ProviderConfig, Settings
from .base import Conversation, ProgressCallback, Provider
from .fallback import FallbackConversation

log = logging.getLogger(__name__)


def _factory(kind: str) -> Callable[[ProviderConfig, Settings], Provider]:
    """The constructor for ``kind``, imported when a provider of that kind is first used: the
    SDKs and onnxruntime take a while to import, and a host using one should not load the rest."""
    if kind == "echo":
        from . import echo

        return echo.from_config
    if kind == "local":
        from . import local

        return local.from_config
    if kind == "openai":
        from . import openai

        return openai.from_config
    if kind == "anthropic":
        from . import anthropic

        return anthropic.from_config
    raise ValueError(f"unknown provider kind {kind!r}")


class Router:
    def __init__(self, settings: Callable[[], Settings]):
        self._settings = settings
        self._built: dict[str, tuple[tuple[ProviderConfig, tuple[int | None, int]], Provider]] = {}

    def configs(self) -> list[ProviderConfig]:
        """The enabled providers in the user's order; the echo backend leads when enabled for tests."""
        settings = self._settings()
        configs = [c for c in settings.providers if c.enabled and c.kind != "echo"]
        if settings.echo_enabled:
            configs.insert(0, ProviderConfig(name="echo", kind="echo", label="Echo (testing)"))
        return configs

    def chain(self) -> list[Provider]:
        """The enabled providers; an entry that cannot be built (a hand-edited bad URL) is skipped, not fatal."""
        providers = []
        for config in self.configs():
            try:
                providers.append(self.build(config))
            except NavError as err:
                log.warning("provider %s is skipped: %s", config.name, err.message)
        return providers

    def build(self, config: ProviderConfig) -> Provider:
        """The provider for ``config``, rebuilt only when its configuration changed."""
        settings = self._settings()
        key = (config, settings.provider_tuning())
        cached = self._built.get(config.name)
        if cached is None or cached[0] != key:
            cached = (key, _factory(config.kind)(config, settings))
            self._built[config.name] = cached
        return cached[1]

    def candidates(self, choice: ModelChoice | None) -> list[Provider]:
        """The provider the page asked for first (if the user enabled it), then the rest of the chain."""
        chain = self.chain()
        if choice is not None and choice.provider:
            chain = sorted(chain, key=lambda p: p.name != choice.provider)
        return chain

    def by_name(self, names: list[str]) -> list[Provider]:
        return [p for p in self.chain() if p.name in names]

    async def open(self, providers: list[Provider], options: CoreOptions, progress: ProgressCallback) -> tuple[Conversation, Provider]:
        """Open a conversation on the first provider that can serve ``options``; the rest back it up."""
        failure: NavError | None = None
        for index, provider in enumerate(providers):
            if await provider.availability(options) == "unavailable":
                failure = failure or NavError(ErrorName.NOT_SUPPORTED, f"{provider.name} cannot serve these options")
                continue
            try:
                conversation = await provider.open(options, progress)
            except NavError as err:
                failure = err
                continue
            return FallbackConversation(conversation, provider, providers[index + 1 :], options), provider
        raise failure or NavError(ErrorName.NOT_SUPPORTED, "no provider can serve this request")

    def capabilities(self) -> dict[str, Any]:
        """Cheap to answer: built from the configuration, without loading any provider."""
        return {"providers": [{"name": c.name, "kind": c.kind, "label": c.label} for c in self.configs()]}

    async def models(self, providers: list[Provider]) -> list[dict[str, Any]]:
        listed = []
        for provider in providers:
            for model in await provider.models():
                listed.append({"provider": provider.name, **model})
        return listed
