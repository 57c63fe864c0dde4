"""The KV memory budget shared by the local model's sessions, and the model's whole context."""

from __future__ import annotations

from navllm.protocol.common import text_message
from navllm.providers.local import memory
from navllm.providers.local.conversation import LocalConversation
from navllm.providers.local.memory import CacheBudget
from navllm.providers.local.sampler import SamplerConfig
from tests.local.test_conversation import run, user


class Holder:
    def __init__(self, size: int, busy: bool = False):
        self.memory_bytes = size
        self.busy = busy

    def drop_cache(self) -> None:
        self.memory_bytes = 0


def test_the_least_recently_used_idle_caches_go_first():
    budget = CacheBudget(limit=250)
    oldest, busy, kept, recent = Holder(100), Holder(100, busy=True), Holder(100), Holder(100)
    for h in (oldest, busy, kept, recent):
        budget.touch(h)
    assert budget.settle(keep=kept) == 2  # 400 → 200: the oldest idle, then the next idle one (not busy, not kept)
    assert (oldest.memory_bytes, busy.memory_bytes, kept.memory_bytes, recent.memory_bytes) == (0, 100, 100, 0)
    assert budget.total() == 200
    assert budget.settle(keep=kept, extra=100) == 0  # nothing idle is left to drop: the budget is soft
    budget.touch(kept)
    assert budget.settle(extra=51) == 1 and kept.memory_bytes == 0


def test_under_the_budget_nothing_is_dropped():
    budget = CacheBudget(limit=1000)
    holders = [Holder(100) for _ in range(5)]
    for h in holders:
        budget.touch(h)
    assert budget.settle(extra=400) == 0 and budget.total() == 500


async def test_a_dropped_cache_costs_one_prefill_and_changes_no_reply(tiny, monkeypatch):
    per_session = LocalConversation(tiny, 512, SamplerConfig()).memory_bytes
    monkeypatch.setattr(memory, "budget", CacheBudget(limit=per_session * 3 // 2))
    monkeypatch.setattr("navllm.providers.local.conversation.budget", memory.budget)
    first = LocalConversation(tiny, 512, SamplerConfig())
    history = [user("The quick brown fox")]
    reply, _ = await run(first, history, max_tokens=6)
    second = LocalConversation(tiny, 512, SamplerConfig())
    await run(second, [user("Something else")], max_tokens=6)  # room for second: first's cache is dropped
    assert first.memory_bytes == 0 and first.cached_tokens == [] and second.memory_bytes > 0

    follow = [*history, text_message("assistant", reply), user("jumps")]
    before = tiny.forwarded
    again, usage = await run(first, follow, max_tokens=6)
    assert tiny.forwarded - before >= usage.input_tokens  # the whole history was read again
    fresh = LocalConversation(tiny, 512, SamplerConfig())
    assert (again, usage) == await run(fresh, follow, max_tokens=6)


def test_sessions_get_the_context_the_model_was_trained_for(smollm2):
    from navllm.providers.local.provider import LocalProvider

    assert smollm2.info.context_length == 8192
    conversation = LocalConversation(smollm2, smollm2.info.context_length, SamplerConfig())
    # The cache starts small and grows on demand: a short session does not hold a full window.
    assert conversation.memory_bytes < conversation._cache.bytes_for(8192) // 16
    assert LocalProvider()._context is None  # the provider's default: the model's own context
