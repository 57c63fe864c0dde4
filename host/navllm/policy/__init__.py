"""Policy: who may use which provider, how much, and the record of what they used.

Dispatch consults a ``Gate`` before any provider runs and reports every outcome to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ..protocol.common import Caller, Feature
from ..protocol.replies import PermissionAsk
from ..providers.base import Provider

# What a request did: the Prompt API's actions, then one per task API (so usage breaks down by API).
Action = Literal["create", "prompt", "append", "embed", "summarize", "write", "rewrite", "proofread", "translate", "detect-language"]
# The permissions-policy feature each action belongs to (the Prompt API's unless a task API's).
FEATURES: dict[str, Feature] = {
    "summarize": "summarizer",
    "write": "writer",
    "rewrite": "rewriter",
    "proofread": "proofreader",
    "translate": "translator",
    "detect-language": "language-detector",
}


class PermissionNeeded(Exception):
    """The user has not decided yet; dispatch ends the request with ``permission_required``."""

    def __init__(self, ask: PermissionAsk):
        super().__init__(f"permission needed for {ask.origin}")
        self.ask = ask


@dataclass(frozen=True)
class UsageRecord:
    caller: Caller
    action: Action
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    outcome: str  # "ok" or the error name
    prompt_text: str | None = None
    reply_text: str | None = None


class Gate(Protocol):
    async def admit(self, caller: Caller, action: Action, candidates: list[Provider]) -> list[Provider]:
        """The candidates this caller may use now, in order.

        Raises ``PermissionNeeded`` when the user has not decided, ``NavError(NotAllowedError)``
        when denied or ineligible, ``NavError(QuotaExceededError, retryAfter=…)`` when over a quota.
        """
        ...

    def eligible(self, caller: Caller, feature: Feature = "language-model") -> bool:
        """Whether this caller could ever be granted access to ``feature`` (used by ``availability``)."""
        ...

    def frame_of(self, caller: Caller, feature: Feature = "language-model") -> tuple[str, str]:
        """(origin, top-level origin) of a page caller; ``NavError(NotAllowedError)`` saying why it
        is not eligible (an insecure page, or a frame neither its embedder's ``allow`` attribute nor
        the user delegated ``feature`` to)."""
        ...

    def granted(self, caller: Caller, providers: list[Provider]) -> list[Provider]:
        """Those of ``providers`` the caller's grant covers now; read-only (used by ``models``/``params``)."""
        ...

    def record(self, record: UsageRecord) -> None:
        """Log one finished request and charge its tokens against the caller's budgets."""
        ...
