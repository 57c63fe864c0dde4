"""Hand a reply over to the next provider in the user's chain when one fails before its first token.

Once anything has been streamed to the page, a failure is reported as is: switching then
would splice two models' words into one reply. Every prompt starts again at the first
provider (its failure may have been brief); later providers are opened only when needed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing

from ..protocol.common import Constraint, Message, ToolSpec
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import CoreOptions
from .base import Chunk, Conversation, Generation, Provider

log = logging.getLogger(__name__)


class FallbackConversation(Conversation):
    def __init__(self, first: Conversation, provider: Provider, rest: list[Provider], options: CoreOptions):
        self._opened: dict[str, Conversation] = {provider.name: first}
        self._order = [provider, *rest]
        self._options = options
        self.context_window = first.context_window
        self.model = first.model
        self.served_by = provider.name

    @property
    def memory_bytes(self) -> int:
        return sum(c.memory_bytes for c in self._opened.values())

    @property
    def primary(self) -> Conversation:
        return self._opened[self._order[0].name]

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        return await self.primary.measure(messages, constraint=constraint, tools=tools)

    async def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        failures: list[tuple[str, NavError]] = []
        for provider in self._order:
            delivered = False
            try:
                provider.check_inputs(request.messages)  # the local model, say, would drop an image unread
                conversation = await self._conversation(provider)
                async with aclosing(conversation.generate(request)) as chunks:
                    async for chunk in chunks:
                        if not delivered:
                            delivered = True
                            self.served_by, self.model = provider.name, conversation.model
                        yield chunk
                self.served_by, self.model = provider.name, conversation.model
                return
            except NavError as err:
                if delivered or err.name == ErrorName.ABORT:
                    raise
                log.info("%s failed before its first token (%s); trying the next provider", provider.name, err.name)
                failures.append((provider.name, err))
        raise _combined(failures)

    async def _conversation(self, provider: Provider) -> Conversation:
        if provider.name not in self._opened:
            if await provider.availability(self._options) == "unavailable":
                raise NavError(ErrorName.NOT_SUPPORTED, f"{provider.name} cannot serve these options")
            self._opened[provider.name] = await provider.open(self._options, lambda _loaded: None)
        return self._opened[provider.name]

    def clone(self) -> FallbackConversation:
        copy = FallbackConversation(self.primary.clone(), self._order[0], self._order[1:], self._options)
        copy._opened.update({name: c.clone() for name, c in self._opened.items() if name != self._order[0].name})
        return copy

    async def close(self) -> None:
        for conversation in self._opened.values():
            await conversation.close()


def _combined(failures: list[tuple[str, NavError]]) -> NavError:
    """The first provider's error (the one the user prefers), naming what every provider said."""
    _, first = failures[0]
    if len(failures) == 1:
        return first
    summary = "; ".join(f"{n}: {e.message}" for n, e in failures)
    return NavError(first.name, f"every provider failed — {summary}", **first.details)
