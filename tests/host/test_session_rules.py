"""The Prompt API's rules the host keeps for every backend, through the page handlers:
a session opened without initial prompts starts at contextUsage 0 even on a model whose empty
history renders a few tokens, and a system message may only open a session's history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from navllm.dispatch.page import PageHandlers
from navllm.dispatch.sessions import SessionTable
from navllm.protocol import parse_request
from navllm.protocol.common import Caller, Message, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import Append, CreateSession, Measure, Prompt
from navllm.providers.echo import EchoConversation

PAGE = Caller(kind="page", origin="https://a.example")
OVERHEAD = 4  # what rendering an empty history costs this model (a chat template's opening tokens)


class Templated(EchoConversation):
    """Echo's accounting (a token per character) plus a template's fixed tokens, as a local model has."""

    def __init__(self, window: int = 1000) -> None:
        super().__init__(0.0)
        self.context_window = window

    async def measure(self, messages: list[Message], *, constraint: Any = None, tools: Any = ()) -> int:
        return OVERHEAD + await super().measure(messages, constraint=constraint, tools=tools)


class Provider:
    name = "templated"

    async def availability(self, options: Any) -> str:
        return "available"


class Router:
    def __init__(self, window: int) -> None:
        self.window = window

    def candidates(self, options: Any) -> list[Provider]:
        return [Provider()]

    async def open(self, providers: list[Provider], options: Any, progress: Callable[[float], None]) -> tuple[Templated, Provider]:
        return Templated(self.window), providers[0]

    def by_name(self, names: list[str]) -> list[Provider]:
        return [Provider()]


class Gate:
    async def admit(self, caller: Caller, action: str, candidates: list[Provider]) -> list[Provider]:
        return candidates

    def record(self, record: Any) -> None:
        pass


class Out:
    def __init__(self) -> None:
        self.events: list[str] = []

    def progress(self, fraction: float) -> None:
        pass

    def event(self, name: str) -> None:
        self.events.append(name)

    def delta(self, text: str) -> None:
        pass

    def tool_call(self, call: Any) -> None:
        pass


def handlers(window: int = 1000) -> PageHandlers:
    return PageHandlers(Gate(), Router(window), SessionTable())


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def user(text: str) -> Message:
    return text_message("user", text)


def system(text: str) -> Message:
    return text_message("system", text)


async def create(h: PageHandlers, initial: list[Message] | None = None) -> dict[str, Any]:
    return await h.create(CreateSession(id="c", caller=PAGE, initial_prompts=initial or []), Out())


async def prompt(h: PageHandlers, session: str, messages: list[Message]) -> dict[str, Any]:
    return await h.prompt(Prompt(id="p", caller=PAGE, session=session, input=messages), Out())


async def append(h: PageHandlers, session: str, messages: list[Message]) -> dict[str, Any]:
    return await h.append(Append(id="a", caller=PAGE, session=session, input=messages), Out())


def test_a_session_without_initial_prompts_starts_at_zero():
    async def go() -> None:
        h = handlers()
        info = await create(h)
        assert info["contextUsage"] == 0
        sid = info["session"]
        # Once something is given, usage is the history as the model renders it, template included.
        done = await append(h, sid, [user("hello")])
        assert done["contextUsage"] == OVERHEAD + len("hello")
        # measureContextUsage measures the input as it would be fed alone, and changes nothing.
        measured = await h.measure(Measure(id="m", caller=PAGE, session=sid, input=[user("four")]), Out())
        assert measured == OVERHEAD + len("four")
        assert h.sessions.get(PAGE, sid).usage == OVERHEAD + len("hello")

    run(go())


def test_initial_prompts_count_as_measured():
    async def go() -> None:
        h = handlers()
        initial = [system("Be brief."), user("hi")]
        info = await create(h, initial)
        sid = info["session"]
        measured = await h.measure(Measure(id="m", caller=PAGE, session=sid, input=initial), Out())
        assert info["contextUsage"] == measured == OVERHEAD + len("Be brief.hi")

    run(go())


def test_what_an_empty_history_costs_still_counts_against_the_window():
    async def go() -> None:
        with pytest.raises(NavError) as refused:
            await create(handlers(window=OVERHEAD - 1))
        assert refused.value.to_wire() == {
            "name": "QuotaExceededError",
            "message": f"the initial prompts need {OVERHEAD} of the {OVERHEAD - 1} tokens of the context window",
            "details": {"requested": OVERHEAD, "quota": OVERHEAD - 1},
        }
        # The turns' costs leave the template out, so eviction still picks the fewest turns.
        h = handlers(window=OVERHEAD + 20)
        sid = (await create(h))["session"]
        for word in ("aaaaa", "bbbbb", "ccccc"):
            await append(h, sid, [user(word)])
        session = h.sessions.get(PAGE, sid)
        assert session.costs == [5, 5, 5] and session.usage == OVERHEAD + 15
        out = Out()
        await h.append(Append(id="a", caller=PAGE, session=sid, input=[user("d" * 10)]), out)
        # 4 + 5 + 5 + 10 fills the window of 24 exactly: one turn goes, the oldest.
        assert [m.text for turn in session.turns for m in turn] == ["bbbbb", "ccccc", "d" * 10]
        assert out.events == ["contextoverflow"] and session.usage == OVERHEAD + 20

    run(go())


def _name(call: Callable[[], Any]) -> str:
    try:
        call()
    except NavError as err:
        return str(err.name)
    return "ok"


@pytest.mark.parametrize("kind", ["prompt", "append", "measure"])
def test_a_system_message_after_another_message_is_refused_when_read(kind):
    caller = {"kind": "page", "origin": "https://a.example"}
    body = {"id": "1", "caller": caller, "type": kind, "session": "s"}
    msg = {"role": "user", "content": [{"type": "text", "value": "x"}]}
    sys_msg = {**msg, "role": "system"}
    assert _name(lambda: parse_request({**body, "input": [msg, sys_msg]})) == "TypeError"
    assert _name(lambda: parse_request({**body, "input": [sys_msg, sys_msg]})) == "TypeError"
    assert _name(lambda: parse_request({**body, "input": [sys_msg, msg]})) == "ok"


def test_initial_prompts_may_only_open_with_a_system_message():
    caller = {"kind": "page", "origin": "https://a.example"}
    msg = {"role": "user", "content": [{"type": "text", "value": "x"}]}
    sys_msg = {**msg, "role": "system"}
    create_with = lambda initial: {"id": "1", "caller": caller, "type": "create", "initialPrompts": initial}  # noqa: E731
    assert _name(lambda: parse_request(create_with([msg, sys_msg]))) == "TypeError"
    assert _name(lambda: parse_request(create_with([sys_msg, msg]))) == "ok"


def test_a_system_message_cannot_follow_the_history():
    async def go() -> dict[str, str]:
        async def name(call: Any) -> str:
            try:
                await call
            except NavError as err:
                return str(err.name)
            return "ok"

        h = handlers()
        fresh = (await create(h))["session"]
        seeded = (await create(h, [user("initial")]))["session"]
        system_only = (await create(h, [system("rules")]))["session"]
        later = (await create(h))["session"]
        got = {
            "systemFirstOnFresh": await name(prompt(h, fresh, [system("s"), user("u")])),
            "thenAnotherSystem": await name(prompt(h, fresh, [system("again")])),
            "afterInitialPrompts": await name(prompt(h, seeded, [system("s")])),
            "appendAfterSystemInitial": await name(append(h, system_only, [system("s")])),
            "userAfterSystemInitial": await name(append(h, system_only, [user("u")])),
        }
        await append(h, later, [user("first")])
        got["appendAfterAppend"] = await name(append(h, later, [system("s")]))
        # Measuring changes nothing and asks nothing of the history: a system message may open it.
        got["measure"] = await name(h.measure(Measure(id="m", caller=PAGE, session=later, input=[system("s")]), Out()))
        # What was refused left the history alone.
        got["kept"] = str([m.text for m in h.sessions.get(PAGE, later).history])
        return got

    assert run(go()) == {
        "systemFirstOnFresh": "ok",
        "thenAnotherSystem": "TypeError",
        "afterInitialPrompts": "TypeError",
        "appendAfterSystemInitial": "TypeError",
        "userAfterSystemInitial": "ok",
        "appendAfterAppend": "TypeError",
        "measure": "ok",
        "kept": "['first']",
    }
