"""The provider interface: what dispatch needs from any backend.

A ``Provider`` is one configured backend (the local engine, a remote account, echo).
A ``Conversation`` is its per-session state; it is handed the whole message list on every
call, so stateless remote APIs and the KV-caching local engine share one interface (the
local engine reuses its cache for the common prefix).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..protocol.common import Availability, Constraint, MediaPart, Message, Sampling, ToolCallPart, ToolSpec
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import CoreOptions

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class Usage:
    """Token counts reported by the backend for one generation."""

    input_tokens: int
    output_tokens: int


Chunk = str | ToolCallPart | Usage


@dataclass(frozen=True)
class Generation:
    messages: list[Message]
    sampling: Sampling = field(default_factory=Sampling)
    constraint: Constraint | None = None
    omit_constraint_input: bool = False
    tools: list[ToolSpec] = field(default_factory=list)
    # Whom the reply is for (the caller's origin): the local engine takes turns between them.
    requester: str | None = None


@dataclass(frozen=True)
class SamplingLimits:
    """What ``LanguageModel.params()`` reports."""

    default_top_k: int
    max_top_k: int
    default_temperature: float
    max_temperature: float

    def wire(self) -> dict[str, Any]:
        return {
            "defaultTopK": self.default_top_k,
            "maxTopK": self.max_top_k,
            "defaultTemperature": self.default_temperature,
            "maxTemperature": self.max_temperature,
        }


# What ``params()`` reports when no particular provider applies.
DEFAULT_LIMITS = SamplingLimits(default_top_k=3, max_top_k=128, default_temperature=1.0, max_temperature=2.0)


class Conversation(ABC):
    context_window: int
    model: str

    @abstractmethod
    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        """Exact context usage of ``messages`` as this backend would feed them."""

    @abstractmethod
    def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        """Stream text deltas and tool calls, then (optionally) one Usage. Cancellation stops it promptly."""

    @abstractmethod
    def clone(self) -> Conversation:
        """An independent copy that shares nothing mutable (the local engine copies its KV cache)."""

    @property
    def memory_bytes(self) -> int:
        """What the conversation holds on this machine (the local engine's KV cache)."""
        return 0

    async def close(self) -> None:  # noqa: B027 - most conversations hold nothing to release
        """Release per-session resources."""


class Provider(ABC):
    name: str
    remote: bool
    # The input types its model reads; an image or audio part of another type is refused before it runs.
    inputs: tuple[str, ...] = ("text",)

    @abstractmethod
    async def availability(self, options: CoreOptions) -> Availability: ...

    @abstractmethod
    async def open(self, options: CoreOptions, progress: ProgressCallback) -> Conversation:
        """Get ready (download, load) reporting progress in [0, 1], then start a conversation."""

    def sampling_limits(self) -> SamplingLimits:
        return DEFAULT_LIMITS

    async def models(self) -> list[dict[str, Any]]:
        return []

    async def embed(self, texts: list[str], model: str | None) -> list[list[float]]:
        raise NavError(ErrorName.NOT_SUPPORTED, f"provider {self.name!r} does not compute embeddings")

    def check_inputs(self, messages: list[Message]) -> None:
        """NotSupportedError for an image or audio part (anywhere in the history) this provider does not read."""
        for part in (p for m in messages for p in m.content if isinstance(p, MediaPart)):
            if part.type not in self.inputs:
                raise NavError(ErrorName.NOT_SUPPORTED, self.unread(part.type))

    def unread(self, kind: str) -> str:
        return f"{self.name} reads {', '.join(self.inputs)}, not {kind}; add a provider that reads {kind} in navllm's settings"


def check_expected(options: CoreOptions, accepts: frozenset[str]) -> bool:
    """True if every expected input/output type is one this backend handles."""
    wanted = {e.type for e in (*options.expected_inputs, *options.expected_outputs)}
    outputs = {e.type for e in options.expected_outputs}
    return wanted <= accepts and not outputs & {"image", "audio"}
