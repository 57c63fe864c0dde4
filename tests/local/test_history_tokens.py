"""A prompt tokenises its history a bounded number of times, whatever the history's length, and
the numbers the page sees stay exact: contextUsage is the token count of the history as the model
would be fed it, overflow evicts the fewest oldest turns, and input that cannot fit is refused.

Driven through the page handlers on the tiny model, with its tokenizer's ``encode`` counted."""

from __future__ import annotations

import functools
import random

import pytest

from navllm.dispatch.page import PageHandlers
from navllm.dispatch.sessions import Session, SessionTable
from navllm.protocol.common import Caller, JsonSchemaConstraint, Sampling, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import Append, CoreOptions, Prompt
from navllm.providers.base import Conversation, Usage
from navllm.providers.local.conversation import LocalConversation
from navllm.providers.local.sampler import SamplerConfig

PAGE = Caller(kind="page", origin="https://a.example")


class CountingTokenizer:
    """The model's tokenizer, counting ``encode`` calls and the characters they tokenise."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self.calls = 0
        self.chars = 0

    def encode(self, text, *args, **kwargs):
        self.calls += 1
        self.chars += len(text)
        return self._tokenizer.encode(text, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)


class Gate:
    async def admit(self, caller, action, candidates):
        return candidates

    def record(self, record) -> None:
        pass


class Router:
    def by_name(self, names):
        return []


class Out:
    def __init__(self) -> None:
        self.events: list[str] = []

    def event(self, name: str) -> None:
        self.events.append(name)

    def delta(self, text: str) -> None:
        pass

    def tool_call(self, call) -> None:
        pass


@pytest.fixture
def counted(tiny, monkeypatch) -> CountingTokenizer:
    counting = CountingTokenizer(tiny.tokenizer)
    monkeypatch.setattr(tiny, "tokenizer", counting)
    return counting


async def _open(tiny, window: int, initial=()) -> tuple[PageHandlers, Session]:
    """A session as ``create`` opens it, on the tiny model."""
    conversation = LocalConversation(tiny, window, SamplerConfig())
    table = SessionTable()
    session = table.add(
        Session(
            id=table.new_id(),
            owner=("https://a.example", False),
            provider="local",
            conversation=conversation,
            options=CoreOptions(),
            initial=list(initial),
        )
    )
    await session.start()
    return PageHandlers(Gate(), Router(), table), session


async def _prompt(handlers: PageHandlers, session: Session, text: str, **options) -> tuple[dict, Out]:
    out = Out()
    reply = await handlers.prompt(
        Prompt(id="p", caller=PAGE, session=session.id, input=[text_message("user", text)], sampling=Sampling(max_tokens=3), **options), out
    )
    return reply, out


async def _exact(session: Session) -> int:
    """What contextUsage must be: the whole history measured afresh."""
    fresh = LocalConversation(session.conversation._loaded, session.conversation.context_window, SamplerConfig())
    return await fresh.measure(session.history)


async def test_a_prompt_tokenises_its_history_a_bounded_number_of_times(tiny, counted):
    handlers, session = await _open(tiny, 512, [text_message("system", "Be brief.")])
    per_prompt = []
    for i in range(12):
        before = counted.calls
        reply, out = await _prompt(handlers, session, f"The quick brown fox {i}")
        per_prompt.append(counted.calls - before)
        assert not out.events
        assert reply["contextUsage"] == await _exact(session) == session.usage
    # One encode for the new input alone, one for the prompt the model is fed (which eviction
    # checks against the window), one for contextUsage after the reply: however long the history.
    assert max(per_prompt) <= 3, per_prompt
    before = counted.calls
    await handlers.append(Append(id="a", caller=PAGE, session=session.id, input=[text_message("user", "lazy dog")]), Out())
    assert counted.calls - before <= 2  # the input, then the history with it, which is contextUsage
    assert session.usage == await _exact(session)


async def test_overflow_evicts_the_fewest_oldest_turns_with_exact_usage(tiny, counted):
    window = 120
    handlers, session = await _open(tiny, window, [text_message("system", "Be brief.")])
    overflows = 0
    for i in range(14):
        kept = [list(t) for t in session.turns]
        new = [text_message("user", f"lazy dog {i} " * (1 + i % 3))]
        # The reference: the fewest oldest turns whose eviction lets the input fit.
        fresh = LocalConversation(tiny, window, SamplerConfig())
        fewest = 0
        while await fresh.measure([*session.initial, *(m for t in kept[fewest:] for m in t), *new]) > window:
            fewest += 1
        before = counted.calls
        reply, out = await _prompt(handlers, session, new[0].text)
        calls = counted.calls - before
        assert bool(out.events) == bool(fewest) and out.events in ([], ["contextoverflow"])
        assert [t[0].text for t in session.turns[:-1]] == [t[0].text for t in kept[fewest:]]
        assert reply["contextUsage"] == await _exact(session)  # the reply may take it past the window
        overflows += bool(fewest)
        assert calls <= 4 if fewest else calls <= 3, (i, fewest, calls)
    assert overflows >= 5 and session.initial[0].text == "Be brief."


async def test_input_that_cannot_fit_is_refused_and_evicts_nothing(tiny, counted):
    handlers, session = await _open(tiny, 64, [text_message("system", "Be brief.")])
    await _prompt(handlers, session, "fox")
    turns, usage = len(session.turns), session.usage
    with pytest.raises(NavError) as err:
        await _prompt(handlers, session, "The quick brown fox jumps over the lazy dog " * 4)
    assert err.value.name == "QuotaExceededError" and len(session.turns) == turns and session.usage == usage


async def test_a_constraint_is_counted_as_the_model_reads_it(tiny, counted):
    handlers, session = await _open(tiny, 512)
    await _prompt(handlers, session, "fox")
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    fresh = LocalConversation(tiny, 512, SamplerConfig())
    new = [text_message("user", "Is Paris in France?")]
    expected = await fresh.measure([*session.history, *new], constraint=JsonSchemaConstraint(schema=schema))
    kept, fed = await session.fit(new, JsonSchemaConstraint(schema=schema), lambda: None)
    assert fed == expected and kept == [*session.history, *new]


class Neighbourly(Conversation):
    """A backend whose count is not a sum over messages: the message after the system prompt is
    rendered with a preamble, as some chat templates do for their first turn, so a turn's cost
    changes when the turns before it are evicted."""

    model = "neighbourly"

    def __init__(self, window: int) -> None:
        self.context_window = window
        self.calls = 0

    async def measure(self, messages, *, constraint=None, tools=()):
        self.calls += 1
        preamble = 9 if len(messages) > 1 and messages[0].role == "system" and messages[1].role == "user" else 0
        return sum(len(m.text) + 3 for m in messages) + preamble + 2

    async def generate(self, request):  # pragma: no cover - never prompted
        yield Usage(0, 0)

    def clone(self):  # pragma: no cover
        return self


@pytest.mark.parametrize("seed", range(40))
async def test_eviction_is_exact_when_turns_cost_differently_beside_other_turns(seed):
    rng = random.Random(seed)
    conversation = Neighbourly(window=rng.randint(60, 200))
    session = Session(
        id="s",
        owner=("https://a.example", False),
        provider="x",
        conversation=conversation,
        options=CoreOptions(),
        initial=[text_message("system", "sys")],
    )
    await session.start()
    for _ in range(30):
        new = [text_message("user", "n" * rng.randint(1, 40))]
        kept = list(session.turns)
        fewest = 0
        while await conversation.measure([*session.initial, *(m for t in kept[fewest:] for m in t), *new]) > conversation.context_window:
            fewest += 1
        expected = await conversation.measure([*session.initial, *(m for t in kept[fewest:] for m in t), *new])
        overflowed: list[int] = []
        fed, count = await session.fit(new, None, functools.partial(overflowed.append, 1))
        assert session.turns == kept[fewest:] and bool(overflowed) == bool(fewest)
        assert count == expected and fed == [*session.history, *new]
        turn = [*new, text_message("assistant", "a" * rng.randint(0, 30))]
        session.keep(turn, await session.measure([*session.history, *turn]))
        assert session.usage == await conversation.measure(session.history)
