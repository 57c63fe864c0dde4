"""Conversation mechanics on a tiny random model with the converter's graph contract:
KV prefix reuse, clone independence, cancellation, stop sequences, max tokens, exact measure."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from contextlib import aclosing

import numpy as np
import pytest

from navllm.dispatch.sessions import Session
from navllm.protocol.common import Sampling, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation, Usage
from navllm.providers.local.conversation import LocalConversation
from navllm.providers.local.sampler import SamplerConfig

GREEDY = SamplerConfig()


class NoEnd:
    """A token constraint that forbids the end-of-sequence ids, so a random model keeps talking;
    ``delay`` makes each step as slow as a real model's."""

    def __init__(self, model, delay: float = 0.0):
        self.allowed = np.ones(model.info.vocab_size, dtype=bool)
        self.allowed[list(model.info.eos_token_ids)] = False
        self.delay = delay
        self.seen: list[int] = []

    def mask(self, tokens):
        assert list(tokens) == self.seen  # the engine reports every token, in order
        time.sleep(self.delay)
        return self.allowed

    def advance(self, token):
        self.seen.append(token)

    def valid_prefix(self, tokens):
        return next((i for i, t in enumerate(tokens) if not self.allowed[t]), len(tokens))


class Constrained(LocalConversation):
    """A conversation whose generations all run under one test constraint, through the sampler hook."""

    def __init__(self, *args, constraint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.constraint = constraint

    async def generate(self, request):
        from navllm.providers.local.engine import Job, engine_for
        from navllm.providers.local.sampler import Sampler

        job = Job(
            prompt=self.encode(request.messages),
            sampler=Sampler(self.sampler_config(request)),
            max_tokens=request.sampling.max_tokens or self.context_window,
            stop=list(request.sampling.stop),
            constraint=self.constraint,
        )
        async with aclosing(engine_for(self._loaded).generate(job, self._cache, self._binding)) as stream:
            async for item in stream:
                yield item


async def run(conversation, messages, **sampling):
    text, usage = [], None
    async for chunk in conversation.generate(Generation(messages=messages, sampling=Sampling(**sampling))):
        if isinstance(chunk, Usage):
            usage = chunk
        else:
            text.append(chunk)
    return "".join(text), usage


def user(text):
    return text_message("user", text)


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


async def test_follow_up_prefills_only_the_new_tokens(tiny):
    conv = LocalConversation(tiny, 512, GREEDY)
    first = [user("The quick brown fox")]
    before = tiny.forwarded
    reply, usage = await run(conv, first, max_tokens=1)  # one token: no decode step, only prefill
    assert tiny.forwarded - before == usage.input_tokens == len(conv.encode(first))

    follow = [*first, text_message("assistant", reply), user("jumps over the lazy dog")]
    ids = conv.encode(follow)
    reused = common_prefix(conv.cached_tokens, ids)
    assert reused >= len(conv.encode(first))  # the whole first turn is still in the cache
    before = tiny.forwarded
    _, usage = await run(conv, follow, max_tokens=1)
    assert tiny.forwarded - before == len(ids) - reused < len(ids)
    assert usage.input_tokens == len(ids)


async def test_reused_cache_gives_the_same_tokens_as_a_fresh_prefill(tiny):
    history = [user("Paris is the capital"), text_message("assistant", "of France."), user("naïve café")]
    warm = Constrained(tiny, 512, GREEDY, constraint=NoEnd(tiny))
    await run(warm, history[:1], max_tokens=5)
    warm.constraint = NoEnd(tiny)
    cold = Constrained(tiny, 512, GREEDY, constraint=NoEnd(tiny))
    assert await run(warm, history, max_tokens=20) == await run(cold, history, max_tokens=20)


async def test_a_clone_is_independent_of_its_original(tiny):
    base = Constrained(tiny, 512, GREEDY, constraint=NoEnd(tiny))
    first = [user("def f(x):")]
    reply, _ = await run(base, first, max_tokens=8)
    clone = base.clone()
    clone.constraint = NoEnd(tiny)
    assert clone.cached_tokens == base.cached_tokens

    branch_a = [*first, text_message("assistant", reply), user("Héllo wörld")]
    branch_b = [*first, text_message("assistant", reply), user("emoji 😀🎉")]
    base.constraint = NoEnd(tiny)
    a = await run(base, branch_a, max_tokens=12)
    before = tiny.forwarded
    b = await run(clone, branch_b, max_tokens=12)
    # The clone kept the shared history: it prefilled only its own branch.
    assert tiny.forwarded - before < len(clone.encode(branch_b))
    for messages, result in ((branch_a, a), (branch_b, b)):
        fresh = Constrained(tiny, 512, GREEDY, constraint=NoEnd(tiny))
        assert await run(fresh, messages, max_tokens=12) == result


async def test_cancelling_the_consumer_stops_between_tokens(tiny):
    slow = NoEnd(tiny, delay=0.02)
    conv = Constrained(tiny, 512, GREEDY, constraint=slow)
    stream = conv.generate(Generation(messages=[user("The quick")], sampling=Sampling()))
    received = []
    async for chunk in stream:
        received.append(chunk)
        if len(received) == 3:
            break
    started = time.monotonic()
    await stream.aclose()
    assert time.monotonic() - started < 0.5
    stopped_at = len(slow.seen)
    assert stopped_at < 20  # far from the 400+ tokens the context would allow
    await asyncio.sleep(0.1)
    assert len(slow.seen) == stopped_at  # the worker is really idle
    # The model serves the next request at once, and the cache is consistent.
    conv.constraint = NoEnd(tiny)
    _, usage = await run(conv, [user("The quick")], max_tokens=4)
    assert usage.output_tokens == 4


async def test_cancelling_the_task_aborts_the_request(tiny):
    conv = Constrained(tiny, 512, GREEDY, constraint=NoEnd(tiny, delay=0.02))
    progressed = asyncio.Event()

    async def consume():
        async for _ in conv.generate(Generation(messages=[user("lazy dog")], sampling=Sampling())):
            progressed.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(progressed.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)


async def test_generations_on_one_model_run_one_at_a_time(tiny):
    active, peak, lock = [0], [0], threading.Lock()

    class Counting(NoEnd):
        def mask(self, tokens):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.002)
            with lock:
                active[0] -= 1
            return self.allowed

    convs = [Constrained(tiny, 512, GREEDY, constraint=Counting(tiny)) for _ in range(3)]
    results = await asyncio.gather(*(run(c, [user(f"fox {i}")], max_tokens=10) for i, c in enumerate(convs)))
    assert [u.output_tokens for _, u in results] == [10, 10, 10]
    assert peak[0] == 1


async def test_max_tokens_and_stop_sequences(tiny):
    conv = Constrained(tiny, 512, GREEDY, constraint=NoEnd(tiny))
    messages = [user("Paris is")]
    text, usage = await run(conv, messages, max_tokens=30)
    assert usage.output_tokens == 30
    assert len(text) > 6
    stop = text[3:6]
    first = text.find(stop)
    conv.constraint = NoEnd(tiny)
    stopped, _ = await run(conv, messages, max_tokens=30, stop=[stop])
    assert stopped == text[:first]


async def test_generation_ends_at_the_context_window(tiny):
    conv = Constrained(tiny, 40, GREEDY, constraint=NoEnd(tiny))
    messages = [user("The quick brown fox")]
    prompt = len(conv.encode(messages))
    _, usage = await run(conv, messages)
    assert usage.output_tokens == 40 - prompt + 1  # the last token is sampled, never fed back
    assert len(conv.cached_tokens) == 40


async def test_measure_is_the_exact_token_count_and_prefix_continues_the_reply(tiny):
    conv = LocalConversation(tiny, 512, GREEDY)
    messages = [text_message("system", "Be brief."), user("Héllo wörld")]
    rendered = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHéllo wörld<|im_end|>\n<|im_start|>assistant\n"
    expected = tiny.tokenizer.encode(rendered, add_special_tokens=False).ids
    assert conv.encode(messages) == expected
    assert await conv.measure(messages) == len(expected)
    _, usage = await run(conv, messages, max_tokens=1)
    assert usage.input_tokens == len(expected)

    prefixed = [*messages, text_message("assistant", "The quick")]
    prefixed[-1] = prefixed[-1].model_copy(update={"prefix": True})
    ids = conv.encode(prefixed)
    assert tiny.tokenizer.decode(ids, skip_special_tokens=False).endswith("<|im_start|>assistant\nThe quick")


async def test_overflow_is_reported_and_evicts_the_oldest_turns(tiny):
    conv = LocalConversation(tiny, 80, GREEDY)
    session = Session(
        id="s",
        owner=("https://a.example", False),
        provider="local",
        conversation=conv,
        options=CoreOptions(),
        initial=[text_message("system", "Be brief.")],
    )
    overflowed = []
    for i in range(6):
        turn = [user(f"The quick brown fox {i}"), text_message("assistant", f"Paris is the capital {i}")]
        new = [user(f"lazy dog {i}")]
        messages = await session.make_room(new, None, functools.partial(overflowed.append, i))
        assert await conv.measure(messages) <= conv.context_window
        session.turns.append(turn)
    assert overflowed and session.initial[0].text == "Be brief."
    with pytest.raises(NavError) as err:
        await session.make_room([user("fox " * 200)], None, lambda: None)
    assert err.value.name == "QuotaExceededError"


async def test_a_prompt_longer_than_the_window_is_refused(tiny):
    conv = LocalConversation(tiny, 32, GREEDY)
    with pytest.raises(NavError) as err:
        await run(conv, [user("The quick brown fox jumps over the lazy dog " * 3)])
    assert err.value.name == "QuotaExceededError"
