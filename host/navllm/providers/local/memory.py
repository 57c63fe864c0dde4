"""What the local model's sessions hold in KV memory together, kept under a budget.

A session's KV cache only saves re-reading its history: dispatch hands a conversation the whole
message list on every call, so a cache dropped costs that session one longer prefill on its next
prompt and nothing else. With windows of the model's full context (8,192 tokens for SmolLM2:
about 46 KB a position, 377 MiB full), many sessions could otherwise hold gigabytes; past the
budget, the caches of the sessions used least recently are dropped, never one generating.

Everything here runs on the event loop's thread, the only one that starts generations, clones
and closes sessions; engine workers touch only the caches of sessions that are generating.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Protocol

KV_BUDGET = 1 << 30  # bytes: two full-window sessions of the default model and many short ones


class Holder(Protocol):
    """A session holding a KV cache (the local conversation)."""

    @property
    def memory_bytes(self) -> int: ...

    @property
    def busy(self) -> bool: ...

    def drop_cache(self) -> None: ...


class CacheBudget:
    def __init__(self, limit: int = KV_BUDGET):
        self.limit = limit
        self._holders: weakref.WeakKeyDictionary[Holder, int] = weakref.WeakKeyDictionary()  # holder → last use
        self._clock = itertools.count()

    def touch(self, holder: Holder) -> None:
        """``holder`` is used now (and counts from now on)."""
        self._holders[holder] = next(self._clock)

    def settle(self, keep: Holder | None = None, extra: int = 0) -> int:
        """Drop the least recently used idle caches until ``extra`` more bytes fit; return how many
        were dropped. ``keep`` (about to grow by ``extra``) is never dropped."""
        held = sorted(self._holders.items(), key=lambda item: item[1])
        total = sum(h.memory_bytes for h, _ in held) + extra
        dropped = 0
        for holder, _ in held:
            if total <= self.limit:
                break
            size = holder.memory_bytes
            if holder is keep or holder.busy or size == 0:
                continue
            holder.drop_cache()
            total -= size - holder.memory_bytes
            dropped += 1
        return dropped

    def total(self) -> int:
        return sum(h.memory_bytes for h in list(self._holders))


budget = CacheBudget()
