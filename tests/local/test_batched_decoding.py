"""Concurrent generations on one model share forward passes: the same replies, fair turns.

Exact replies are checked on SmolLM2's shipped graph (int8 activations): there a row decoded in a
batch gets logits bit-identical to those it gets alone (checked on this graph; on the
``--accuracy-level 1`` graph rows differ by ~1e-4, which may flip a near-tie). The tiny random
model (fp32 matmuls, also exact per row) checks the mechanics: cancellation, turns, prefill chunks,
memory, and graphs declaring batch 1.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import aclosing

import numpy as np
import pytest

from navllm.models.chat_template import ChatTemplate
from navllm.protocol.common import JsonSchemaConstraint, Sampling, text_message
from navllm.providers.base import Generation, Usage
from navllm.providers.local import engine as engine_module
from navllm.providers.local import memory, runtime
from navllm.providers.local.conversation import LocalConversation
from navllm.providers.local.detokenizer import Detokenizer
from navllm.providers.local.engine import PREFILL_CHUNK, Job, engine_for
from navllm.providers.local.kv_cache import KVCache
from navllm.providers.local.pool import BatchPool
from navllm.providers.local.sampler import Sampler, SamplerConfig
from tests.local import tiny_model

DEADLINE = 300.0  # seconds for all the generations of one test on a loaded machine


class Reply:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: Usage | None = None
        self.times: list[float] = []  # time.monotonic() at each delta
        self.ended = 0.0  # and at the Usage

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reply) and (self.text, self.usage) == (other.text, other.usage)

    def __repr__(self) -> str:
        return f"Reply({self.text!r}, {self.usage})"


async def generate(model: runtime.LoadedModel, job: Job, reply: Reply | None = None, stop_after: int | None = None) -> Reply:
    """Stream ``job`` into ``reply`` (closing the stream after ``stop_after`` deltas)."""
    reply = reply if reply is not None else Reply()
    cache = KVCache(model.cache_shape(2048))
    async with aclosing(engine_for(model).generate(job, cache, model.new_binding())) as stream:
        async for item in stream:
            if isinstance(item, Usage):
                reply.usage, reply.ended = item, time.monotonic()
                continue
            reply.parts.append(item)
            reply.times.append(time.monotonic())
            if stop_after is not None and len(reply.parts) >= stop_after:
                break
    return reply


def together(*runs):
    return asyncio.wait_for(asyncio.gather(*runs), DEADLINE)


def chat(model: runtime.LoadedModel, text: str) -> list[int]:
    template = ChatTemplate(model.info.chat_template, None, None)
    rendered = template.render([{"role": "user", "content": text}], add_generation_prompt=True)
    return list(model.tokenizer.encode(rendered, add_special_tokens=False).ids)


def greedy(prompt: list[int], max_tokens: int = 48, **options) -> Job:
    return Job(prompt=prompt, sampler=Sampler(SamplerConfig()), max_tokens=max_tokens, **options)


class Letters:
    """A constraint allowing a few one-letter tokens and never end-of-sequence: every reply runs
    to its token budget and every token is one text delta."""

    def __init__(self, model: runtime.LoadedModel):
        self.allowed = np.zeros(model.info.vocab_size, dtype=bool)
        self.allowed[[model.tokenizer.token_to_id(c) for c in "abcdefgh"]] = True

    def mask(self, tokens):
        return self.allowed

    def advance(self, token):
        pass

    def valid_prefix(self, tokens):
        return next((i for i, t in enumerate(tokens) if not self.allowed[t]), len(tokens))


QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about the sea and the wind over the old harbour.",
    "List three colours.",
]


@pytest.mark.model
@pytest.mark.parametrize("count", [2, 3])
async def test_concurrent_greedy_replies_are_the_ones_each_gives_alone(smollm2, count):
    prompts = [chat(smollm2, q) for q in QUESTIONS[:count]]
    alone = [await together(generate(smollm2, greedy(p))) for p in prompts]
    engine = engine_for(smollm2)
    batched = engine.batched
    assert await together(*(generate(smollm2, greedy(p)) for p in prompts)) == [r for [r] in alone]
    assert engine.batched - batched >= count * 5, "the generations must have shared forwards"


@pytest.mark.model
async def test_a_constrained_and_a_free_reply_batched_together(smollm2):
    from navllm.providers.local.constrain import Vocabulary, build_constraint

    info = smollm2.info
    vocabulary = Vocabulary.load(smollm2.folder / "tokenizer.json", info.vocab_size, tuple(info.eos_token_ids))
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
        "additionalProperties": False,
    }
    request = Generation(messages=[text_message("user", "x")], constraint=JsonSchemaConstraint(schema=schema))
    constrained = chat(smollm2, "Give the capital of France and its country as JSON.")
    free = chat(smollm2, QUESTIONS[1])

    def jobs() -> tuple[Job, Job]:
        return greedy(constrained, 64, constraint=build_constraint(request, vocabulary)), greedy(free)

    first, second = jobs()
    alone = [await together(generate(smollm2, first)), await together(generate(smollm2, second))]
    batched = engine_for(smollm2).batched
    first, second = jobs()
    both = await together(generate(smollm2, first), generate(smollm2, second))
    assert list(both) == [r for [r] in alone]
    assert set(json.loads(both[0].text)) == {"city", "country"}
    assert engine_for(smollm2).batched - batched > 0


async def test_a_cancelled_generation_does_not_change_the_others(tiny):
    prompts = [tiny.tokenizer.encode(t).ids for t in ("The quick brown fox", "Paris is the capital", "def f(x):")]
    alone = [await together(generate(tiny, greedy(p, 40, constraint=Letters(tiny)))) for p in prompts]
    cut, *rest = await together(
        generate(tiny, greedy(prompts[0], 40, constraint=Letters(tiny)), stop_after=3),
        *(generate(tiny, greedy(p, 40, constraint=Letters(tiny))) for p in prompts[1:]),
    )
    assert cut.usage is None and len(cut.parts) == 3
    assert rest == [r for [r] in alone[1:]]


def decoding_order(monkeypatch) -> tuple[list[Detokenizer], list[Detokenizer]]:
    """Each generation's detokenizer in the order the generations were made, and one entry per token
    in the order the worker decodes them (the text a consumer reads arrives in bursts on a loaded
    machine, so it cannot tell what the worker did between two of its tokens)."""
    made: list[Detokenizer] = []
    decoded: list[Detokenizer] = []

    class Recorded(Detokenizer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

        def push(self, token: int) -> str:
            decoded.append(self)
            return super().push(token)

    monkeypatch.setattr(engine_module, "Detokenizer", Recorded)
    return made, decoded


async def test_one_origins_many_generations_do_not_starve_another(tiny, monkeypatch):
    made, decoded = decoding_order(monkeypatch)
    prompt = tiny.tokenizer.encode("The quick brown fox").ids

    def job(origin: str) -> Job:
        return greedy(prompt, 24, constraint=Letters(tiny), origin=origin)

    replies = [Reply() for _ in range(7)]
    runs = [generate(tiny, job("https://many.example"), r) for r in replies[:6]]
    await together(*runs, generate(tiny, job("https://one.example"), replies[6]))  # arrives last
    assert all(r.usage is not None and r.usage.output_tokens == 24 for r in replies)
    # Its one generation has a row in every step, the other origin's six share the three others:
    # it is done when they are about half way (in arrival order, it would wait for four of them to end).
    one = made[-1]
    last = max(i for i, d in enumerate(decoded) if d is one)
    others = sum(d is not one for d in decoded[:last])
    assert others <= 6 * 24 * 2 // 3


async def test_a_long_prefill_is_chunked_between_the_others_tokens(tiny, monkeypatch):
    _, decoded = decoding_order(monkeypatch)
    short = tiny.tokenizer.encode("The quick brown fox").ids
    long = [int(t) for t in np.random.default_rng(0).integers(3, tiny.info.vocab_size, 3 * PREFILL_CHUNK + 10)]
    start: list[int] = []

    async def late_long_prompt() -> Reply:
        while len(decoded) < 2:  # the first generation is decoding
            await asyncio.sleep(0.001)
        start.append(len(decoded))
        job = greedy(long, 4, constraint=Letters(tiny))
        return await generate(tiny, job)

    await together(generate(tiny, greedy(short, 200, constraint=Letters(tiny))), late_long_prompt())
    first = decoded[0]  # the short prompt's generation
    later = decoded[start[0] :]
    long_first = next(i for i, d in enumerate(later) if d is not first)
    # Four forwards of prefill (three chunks and the rest): the decoding generation got a token after each.
    assert long_first >= 3


async def test_cache_memory_is_reported_as_before(tiny):
    texts = ("The quick brown fox", "Paris", "def f(x):")

    async def talk(conversation: LocalConversation, text: str) -> None:
        request = Generation(messages=[text_message("user", text)], sampling=Sampling(temperature=0, max_tokens=30))
        async for _ in conversation.generate(request):
            pass

    alone = [LocalConversation(tiny, 512, SamplerConfig()) for _ in texts]
    for conversation, text in zip(alone, texts, strict=True):
        await together(talk(conversation, text))
    engine = engine_for(tiny)
    batched = engine.batched
    shared = [LocalConversation(tiny, 512, SamplerConfig()) for _ in texts]
    await together(*(talk(c, t) for c, t in zip(shared, texts, strict=True)))
    assert engine.batched > batched
    for one, other in zip(shared, alone, strict=True):
        assert one.memory_bytes == other.memory_bytes == one._cache.nbytes
        # The same positions, but for the last token: fed only when it was a kept draft (a lone generation's).
        a, b = one.cached_tokens, other.cached_tokens
        assert a[: len(b)] == b[: len(a)] and abs(len(a) - len(b)) <= 1
    assert engine.pool.memory_bytes == 0  # released once batching ended


async def test_the_batch_rows_count_in_the_memory_budget(tiny):
    engine = engine_for(tiny)
    await together(generate(tiny, greedy([5, 6, 7], 1)))  # the worker is idle again
    caches = [KVCache(tiny.cache_shape(512)) for _ in range(2)]
    for cache in caches:
        tiny.forward([5, 6, 7], cache, tiny.new_binding())
    before = memory.budget.total()
    engine.pool.step([(cache, cache, 8) for cache in caches])
    try:
        assert engine.pool.memory_bytes > 0
        assert memory.budget.total() - before == engine.pool.memory_bytes
    finally:
        engine.pool.release()
    assert memory.budget.total() == before


async def test_a_graph_declaring_batch_one_decodes_one_generation_at_a_time(tmp_path):
    model = runtime.load(tiny_model.build(tmp_path / "batch-one", batched=False), threads=1)
    assert not model.batches
    prompts = [model.tokenizer.encode(t).ids for t in ("The quick brown fox", "Paris is the capital")]
    alone = [await together(generate(model, greedy(p, 12, constraint=Letters(model)))) for p in prompts]
    replies = [Reply(), Reply()]
    first_delta: list[float] = []

    async def watch() -> None:
        while not replies[1].parts:
            await asyncio.sleep(0.001)
        first_delta.append(time.monotonic())

    await together(
        generate(model, greedy(prompts[0], 12, constraint=Letters(model)), replies[0]),
        generate(model, greedy(prompts[1], 12, constraint=Letters(model)), replies[1]),
        watch(),
    )
    assert replies == [r for [r] in alone]
    assert engine_for(model).batched == 0
    assert replies[0].ended <= first_delta[0]  # the second waited for the first to end


def lone_logits(model: runtime.LoadedModel, prompt: list[int], tokens: list[int]) -> tuple[list[np.ndarray], KVCache]:
    cache, binding = KVCache(model.cache_shape(512)), model.new_binding()
    model.forward(prompt, cache, binding)
    return [model.forward([t], cache, binding).copy() for t in tokens], cache


def prefilled(model: runtime.LoadedModel, prompt: list[int]) -> KVCache:
    cache = KVCache(model.cache_shape(512))
    model.forward(prompt, cache, model.new_binding())
    return cache


@pytest.mark.model
def test_on_the_shipped_graph_a_batched_row_has_the_logits_it_has_alone(smollm2):
    prompts = [chat(smollm2, q) for q in QUESTIONS]
    alone = [lone_logits(smollm2, p, [7])[0][0] for p in prompts]
    caches = [prefilled(smollm2, p) for p in prompts]
    together = BatchPool(smollm2).step([(c, c, 7) for c in caches])
    for mine, lone in zip(together, alone, strict=True):
        assert np.array_equal(mine, lone)


def test_a_row_left_out_of_a_step_keeps_its_positions(tiny):
    prompts = [tiny.tokenizer.encode(t).ids for t in ("The quick brown fox", "Paris is the capital of France", "def f(x):")]
    tokens = [11, 12, 13]
    caches = [prefilled(tiny, p) for p in prompts]
    pool = BatchPool(tiny)
    pool.step([(c, c, tokens[0]) for c in caches])
    pool.step([(c, c, tokens[1]) for c in caches[::2]])  # the middle row sits out: fed a dummy token at its length
    pool.step([(c, c, tokens[2]) for c in caches[::2]])
    middle = pool.step([(caches[1], caches[1], tokens[1])])[0]
    expected, lone = lone_logits(tiny, prompts[1], tokens[:2])
    np.testing.assert_allclose(middle, expected[1], rtol=0, atol=1e-5)
    assert caches[1].tokens == lone.tokens
    for mine, theirs in zip((*caches[1].keys, *caches[1].values), (*lone.keys, *lone.values), strict=True):
        np.testing.assert_allclose(mine[:, :, : len(lone)], theirs[:, :, : len(lone)], rtol=0, atol=1e-5)


async def test_generations_arriving_and_leaving_at_random_each_give_their_lone_reply(tiny):
    rng = np.random.default_rng(7)
    vocab = tiny.info.vocab_size
    prompts = [[int(t) for t in rng.integers(3, vocab, int(n))] for n in rng.integers(2, 3 * PREFILL_CHUNK, 10)]
    lengths = [int(n) for n in rng.integers(1, 40, 10)]
    cut_after = [None if i % 3 else int(rng.integers(1, 6)) for i in range(10)]
    alone = [await generate(tiny, greedy(p, n, constraint=Letters(tiny))) for p, n in zip(prompts, lengths, strict=True)]

    async def later(i: int) -> Reply:
        await asyncio.sleep(float(rng.uniform(0, 0.05)))
        return await generate(tiny, greedy(prompts[i], lengths[i], constraint=Letters(tiny)), stop_after=cut_after[i])

    batched = engine_for(tiny).batched
    replies = await together(*(later(i) for i in range(10)))
    assert engine_for(tiny).batched - batched > 20
    for reply, lone, cut in zip(replies, alone, cut_after, strict=True):
        if cut is None:
            assert reply == lone
        else:  # closed early: what it streamed is the start of its lone reply
            assert lone.parts[: len(reply.parts)] == reply.parts
