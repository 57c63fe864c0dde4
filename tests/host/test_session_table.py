"""The session table's bounds: per owner, and on the destroyed ids it remembers."""

from __future__ import annotations

import asyncio

import pytest

from navllm.dispatch import sessions as table_module
from navllm.dispatch.sessions import Session, SessionTable
from navllm.protocol.common import Caller
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.echo import EchoConversation

PAGE = Caller(kind="page", origin="https://a.example")


def session(table: SessionTable) -> Session:
    return Session(
        id=table.new_id(),
        owner=("https://a.example", False),
        provider="echo",
        conversation=EchoConversation(0.0),
        options=CoreOptions(),
        initial=[],
    )


def test_every_session_busy_refuses_one_more_with_quota_exceeded():
    async def run() -> None:
        table = SessionTable(per_owner=2)
        held = [table.add(session(table)) for _ in range(2)]
        for s in held:
            await s.lock.acquire()
        with pytest.raises(NavError) as refused:
            table.make_room(held[0].owner)
        assert refused.value.to_wire()["name"] == "QuotaExceededError"
        held[1].lock.release()
        assert table.make_room(held[0].owner) == [held[1]]
        with pytest.raises(NavError) as gone:
            table.get(PAGE, held[1].id)
        assert gone.value.to_wire()["name"] == "InvalidStateError"

    asyncio.run(run())


def test_destroyed_ids_remembered_are_bounded(monkeypatch):
    monkeypatch.setattr(table_module, "MAX_DESTROYED", 10)
    table = SessionTable()
    for _ in range(50):
        table.remove(PAGE, table.add(session(table)).id)
    assert len(table._destroyed) == 10 and len(table) == 0


class Counting(EchoConversation):
    """Echo's accounting (one token per character), counting how often the history is measured."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.calls = 0

    async def measure(self, messages, *, constraint=None, tools=()):
        self.calls += 1
        return await super().measure(messages, constraint=constraint, tools=tools)


def text(value: str):
    from navllm.protocol.common import Message, TextPart

    return Message(role="user", content=[TextPart(value=value)])


@pytest.mark.parametrize(("size", "evicts"), [(900, 899), (3, 2), (1, 0)])
def test_overflow_eviction_measures_the_history_a_logarithmic_number_of_times(size, evicts):
    """A page can pile up hundreds of one-token turns; evicting them must not measure once per turn."""
    table = SessionTable()
    s = session(table)
    s.conversation = conversation = Counting()
    window = conversation.context_window
    s.turns = [[text("x")] for _ in range(window - 1)]
    overflowed = []

    async def run():
        return await s.make_room([text("y" * size)], None, lambda: overflowed.append(1))

    fed = asyncio.run(run())
    assert len(s.turns) == window - 1 - evicts and bool(overflowed) == bool(evicts)
    assert len(fed) == len(s.turns) + 1
    assert conversation.calls <= 14, conversation.calls
