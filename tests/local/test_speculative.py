"""Speculative decoding by prompt lookup: the same replies, the same distribution, fewer forwards.

Greedy identity is checked on SmolLM2 converted with fp32 activations (``--accuracy-level 1``):
there a row's logits do not depend on how many rows one forward computes. On the shipped graph
(int8 activations) onnxruntime's kernel for one row rounds differently from its kernel for
several (up to ~0.9 logit), so a reply with speculation could part from the one-row reply at a
near-tie: there the engine drafts only when a job asks for it (``speculate="always"``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import json
import math
from contextlib import aclosing

import numpy as np
import pytest

from navllm.models.chat_template import ChatTemplate
from navllm.protocol.common import JsonSchemaConstraint, text_message
from navllm.providers.base import Generation, Usage
from navllm.providers.local import lookup as lookup_module
from navllm.providers.local import runtime
from navllm.providers.local.engine import Job, engine_for
from navllm.providers.local.kv_cache import KVCache
from navllm.providers.local.lookup import PromptLookup
from navllm.providers.local.sampler import Sampler, SamplerConfig
from tests.convert.conftest import smollm2_onnx_level1  # noqa: F401 - the fp32-activation SmolLM2, a shared fixture
from tests.local import tiny_model

DEADLINE = 300.0  # seconds any one generation may take on a loaded machine
GREEDY = SamplerConfig()
PASSAGE = (
    "Researchers at the University of Tromsø have tracked a group of humpback whales that now spend the "
    "winter in the fjords of northern Norway instead of migrating south. Dr. Ingrid Solberg, who led the "
    "study, says the whales follow large schools of herring that moved into the fjords about a decade ago."
)


@pytest.fixture(scope="module")
def exact(smollm2_onnx_level1) -> runtime.LoadedModel:  # noqa: F811
    return runtime.load(smollm2_onnx_level1, threads=None)


def chat(model: runtime.LoadedModel, text: str) -> list[int]:
    template = ChatTemplate(model.info.chat_template, None, None)
    rendered = template.render([{"role": "user", "content": text}], add_generation_prompt=True)
    return list(model.tokenizer.encode(rendered, add_special_tokens=False).ids)


class Run:
    """One generation's text, usage and the drafts verified and kept during it."""

    def __init__(self, text: str, usage: Usage, drafted: int, accepted: int):
        self.text, self.usage, self.drafted, self.accepted = text, usage, drafted, accepted


async def generate(
    model: runtime.LoadedModel, job: Job, cache: KVCache | None = None, window: int = 2048, stop_after: int | None = None
) -> Run:
    """Run ``job`` to its end (or close the stream after ``stop_after`` text deltas), within the deadline."""
    engine = engine_for(model)
    cache = cache if cache is not None else KVCache(model.cache_shape(window))
    drafted, accepted = engine.drafted, engine.accepted
    parts: list[str] = []
    usage = Usage(input_tokens=0, output_tokens=0)

    async def consume() -> None:
        nonlocal usage
        async with aclosing(engine.generate(job, cache, model.new_binding())) as stream:
            async for item in stream:
                if isinstance(item, Usage):
                    usage = item
                    continue
                parts.append(item)
                if stop_after is not None and len(parts) >= stop_after:
                    return

    await asyncio.wait_for(consume(), DEADLINE)
    return Run("".join(parts), usage, engine.drafted - drafted, engine.accepted - accepted)


def job(prompt: list[int], speculate: str, config: SamplerConfig = GREEDY, **options) -> Job:
    return Job(prompt=prompt, sampler=Sampler(config), max_tokens=options.pop("max_tokens", 96), speculate=speculate, **options)


# -- greedy: the same reply, token for token --------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize(
    "task",
    ["Repeat the following text exactly:\n\n", "Rewrite this text in a more formal tone, keeping every detail:\n\n"],
    ids=["copy", "rewrite"],
)
async def test_greedy_replies_are_identical_and_drafts_are_kept(exact, task):
    prompt = chat(exact, task + PASSAGE)
    plain = await generate(exact, job(prompt, speculate="off"))
    fast = await generate(exact, job(prompt, speculate="exact"))
    assert fast.text == plain.text and fast.usage == plain.usage
    assert plain.drafted == 0
    assert fast.accepted > 10, "the reply copies the passage: drafts must be kept"


@pytest.mark.model
async def test_stop_sequences_end_the_reply_at_the_same_place(exact):
    prompt = chat(exact, "Repeat the following text exactly:\n\n" + PASSAGE)
    plain = await generate(exact, job(prompt, speculate="off", stop=["herring"]))
    fast = await generate(exact, job(prompt, speculate="exact", stop=["herring"]))
    assert fast.text == plain.text and fast.usage == plain.usage
    assert "Solberg" in fast.text and "herring" not in fast.text
    assert fast.accepted > 0


@pytest.mark.model
async def test_a_json_schema_reply_is_identical(exact):
    from navllm.providers.local.constrain import Vocabulary, build_constraint

    info = exact.info
    vocabulary = Vocabulary.load(exact.folder / "tokenizer.json", info.vocab_size, tuple(info.eos_token_ids))
    schema = {
        "type": "object",
        "properties": {"university": {"type": "string"}, "researcher": {"type": "string"}, "fish": {"type": "string"}},
        "required": ["university", "researcher", "fish"],
        "additionalProperties": False,
    }
    request = Generation(messages=[text_message("user", PASSAGE)], constraint=JsonSchemaConstraint(schema=schema))
    prompt = chat(exact, "Extract the university, the researcher and the fish as JSON:\n\n" + PASSAGE)
    runs = [
        await generate(exact, job(prompt, speculate, constraint=build_constraint(request, vocabulary))) for speculate in ("off", "exact")
    ]
    assert runs[1].text == runs[0].text and runs[1].usage == runs[0].usage
    assert set(json.loads(runs[1].text)) == {"university", "researcher", "fish"}
    assert runs[1].drafted > 0


@pytest.mark.model
async def test_a_full_context_ends_the_reply_at_the_same_token(exact):
    prompt = chat(exact, "Repeat the following text exactly:\n\n" + PASSAGE)
    window = len(prompt) + 12  # room for 12 positions: 13 tokens, the last never fed
    plain = await generate(exact, job(prompt, speculate="off", max_tokens=500), window=window)
    cache = KVCache(exact.cache_shape(window))
    fast = await generate(exact, job(prompt, speculate="exact", max_tokens=500), cache=cache)
    assert fast.text == plain.text and fast.usage.output_tokens == plain.usage.output_tokens == 13
    assert fast.accepted > 0 and len(cache) <= window


@pytest.mark.model
async def test_a_cancelled_reply_leaves_the_cache_ready_for_the_next_prompt(exact):
    copy = chat(exact, "Repeat the following text exactly:\n\n" + PASSAGE)
    cache = KVCache(exact.cache_shape(2048))
    cut = await generate(exact, job(copy, speculate="exact", max_tokens=200), cache=cache, stop_after=5)
    assert cut.accepted > 0 and cut.usage.output_tokens == 0  # stopped before its end
    assert cache.tokens[: len(copy)] == copy
    follow = chat(exact, "Rewrite this text in a more formal tone, keeping every detail:\n\n" + PASSAGE)
    reused = await generate(exact, job(follow, speculate="exact"), cache=cache)
    fresh = await generate(exact, job(follow, speculate="off"))
    assert reused.text == fresh.text


@pytest.mark.model
async def test_by_default_drafts_only_where_rows_and_single_positions_agree(exact, smollm2):
    assert exact.drafts_exact  # fp32 activations
    prompt = chat(smollm2, "Repeat the following text exactly:\n\n" + PASSAGE)
    run = await generate(smollm2, job(prompt, speculate="exact", max_tokens=16))
    assert (run.drafted > 0) == smollm2.drafts_exact  # the shipped int8 graph: False on x86-64
    fresh = runtime.LoadedModel(smollm2.folder, threads=1)
    assert fresh.drafts_exact == smollm2.drafts_exact and fresh.forwarded == 0  # the probe is not counted


# -- sampled: the same distribution, reproducible with a seed -----------------------------------------


@pytest.mark.model
async def test_a_seeded_sampled_reply_is_reproducible(smollm2):
    prompt = chat(smollm2, "Repeat the following text exactly:\n\n" + PASSAGE)
    config = SamplerConfig(temperature=0.8, top_k=40, top_p=0.95, seed=11, repetition_penalty=1.1)
    first, second = [await generate(smollm2, job(prompt, speculate="always", config=config)) for _ in range(2)]
    assert first.text and first.text == second.text
    assert first.accepted > 0


ALPHABET = 4  # tokens the statistical test lets the tiny model say
LENGTH = 3  # tokens per sampled reply: 64 possible replies
SAMPLED = SamplerConfig(temperature=1.5, top_k=3, repetition_penalty=1.3)
SAMPLES = 2000


class Alphabet:
    """A constraint allowing a few ids only, so every reply of LENGTH tokens is likely enough to
    count; it records the tokens chosen."""

    def __init__(self, vocab: int, ids: list[int]):
        self.allowed = np.zeros(vocab, dtype=bool)
        self.allowed[ids] = True
        self.chosen: list[int] = []

    def mask(self, tokens):
        return self.allowed

    def advance(self, token):
        self.chosen.append(token)

    def valid_prefix(self, tokens):
        return next((i for i, t in enumerate(tokens) if not self.allowed[t]), len(tokens))


def exact_distribution(model: runtime.LoadedModel, prompt: list[int], ids: list[int]) -> dict[tuple[int, ...], float]:
    """Each reply's probability under the sampler's rules, from one prefill per prefix."""
    sampler, allowed = Sampler(SAMPLED), Alphabet(model.info.vocab_size, ids).allowed

    @functools.cache
    def step(prefix: tuple[int, ...]) -> dict[int, float]:
        cache = KVCache(model.cache_shape(len(prompt) + LENGTH))
        logits = model.forward([*prompt, *prefix], cache, model.new_binding())
        candidates, probs = sampler.distribution(logits, [*prompt, *prefix], allowed)
        return {int(c): float(p) for c, p in zip(candidates, probs, strict=True)}

    return {reply: math.prod(step(reply[:i]).get(t, 0.0) for i, t in enumerate(reply)) for reply in itertools.product(ids, repeat=LENGTH)}


def chi_square_fits(counts: dict[tuple[int, ...], int], expected: dict[tuple[int, ...], float]) -> bool:
    """Pearson's test at p = 0.001 (cells expected under 5 pooled), critical value by Wilson–Hilferty."""
    total = sum(counts.values())
    pooled_seen = pooled_expected = statistic = 0.0
    cells = 0
    for reply, p in expected.items():
        if p * total < 5:
            pooled_seen, pooled_expected = pooled_seen + counts.get(reply, 0), pooled_expected + p * total
            continue
        statistic += (counts.get(reply, 0) - p * total) ** 2 / (p * total)
        cells += 1
    if pooled_expected > 0:
        statistic += (pooled_seen - pooled_expected) ** 2 / pooled_expected
        cells += 1
    df = cells - 1
    critical = df * (1 - 2 / (9 * df) + 3.09 * math.sqrt(2 / (9 * df))) ** 3
    return statistic < critical


def _resample_from_everything(self, logits, draft, previous=(), allowed=None):
    """A wrong rejection rule: on rejection, sample from p with the draft left in."""
    candidates, probs = self.distribution(logits, previous, allowed)
    if self._rng.random() < probs[candidates == draft].sum():
        return draft
    return int(candidates[self._rng.choice(len(candidates), p=probs)])


@pytest.mark.parametrize("rule", ["exact", "wrong"])
async def test_sampled_replies_follow_the_model_distribution(tiny, rule, monkeypatch):
    if rule == "wrong":  # the check must be able to fail: a subtly wrong rule is caught
        monkeypatch.setattr(Sampler, "verify", _resample_from_everything)
    rng = np.random.default_rng(3)
    ids = [int(i) for i in rng.choice(np.arange(3, tiny.info.vocab_size), ALPHABET, replace=False)]
    prompt = [int(t) for t in rng.choice(ids, 48)]  # every pair of the alphabet recurs: drafts at every step
    expected = exact_distribution(tiny, prompt, ids)
    engine = engine_for(tiny)
    drafted = engine.drafted
    cache, binding = KVCache(tiny.cache_shape(len(prompt) + LENGTH)), tiny.new_binding()
    counts: dict[tuple[int, ...], int] = {}
    for seed in range(SAMPLES):
        alphabet = Alphabet(tiny.info.vocab_size, ids)
        sampler = Sampler(dataclasses.replace(SAMPLED, seed=seed))
        spec = Job(prompt=prompt, sampler=sampler, max_tokens=LENGTH, constraint=alphabet, speculate="always")
        async for _ in engine.generate(spec, cache, binding):
            pass
        reply = tuple(alphabet.chosen)
        counts[reply] = counts.get(reply, 0) + 1
    assert engine.drafted - drafted >= SAMPLES, "drafts must be verified for the rule to matter"
    assert chi_square_fits(counts, expected) == (rule == "exact")


# -- the parts ------------------------------------------------------------------------------------


def test_lookup_copies_what_followed_the_longest_latest_match():
    lookup = PromptLookup([1, 2, 3, 4, 5, 9, 2, 3, 7, 8, 6])
    lookup.push(2)
    lookup.push(3)
    assert lookup.draft(4) == [7, 8, 6, 2]  # the latest "2 3" wins over the first
    lookup.push(4)
    assert lookup.draft(2) == [5, 9]  # "2 3 4" (three tokens) only occurs at the start
    lookup.push(42)
    assert lookup.draft(4) == []  # nothing ever followed "4 42"


def test_the_draft_size_follows_what_the_model_kept():
    lookup = PromptLookup([1, 2, 3, 1, 2])
    assert lookup.size == lookup_module.MAX_DRAFT
    lookup.verified(drafted=8, accepted=2)
    assert lookup.size == 3 and lookup.draft(8) == [3, 1, 2]
    lookup.verified(drafted=3, accepted=0)  # wrong from the first token: paused
    assert lookup.draft(8) == []
    lookup.push(4)  # not what the paused guess said (3): still paused
    lookup.push(1)
    lookup.push(2)
    assert lookup.draft(8) == []  # guesses 4, what followed "1 2" last
    lookup.push(4)  # the paused guess was right: drafting resumes, one token at a time
    assert lookup.size == 1 and lookup.draft(8) == [1]
    lookup.verified(drafted=1, accepted=1)
    lookup.verified(drafted=2, accepted=2)
    assert lookup.size == 4


def test_an_old_graph_decodes_without_drafts(tmp_path):
    old = runtime.LoadedModel(tiny_model.build(tmp_path / "old", logits_to_keep=False), threads=1)
    assert not old.verifies_drafts
    cache = KVCache(old.cache_shape(64))
    with pytest.raises(ValueError):
        old.forward_tail([1, 2, 3], cache, old.new_binding(), 2)
    prompt = [5, 6, 7, 5, 6, 7, 5, 6]
    run = asyncio.run(generate(old, job(prompt, speculate="always", max_tokens=8), window=64))
    assert run.drafted == 0 and run.usage.output_tokens > 0


def test_valid_prefix_leaves_the_grammar_where_it_was(exact):
    from navllm.providers.local.constrain import GrammarConstraint, Vocabulary

    info = exact.info
    vocabulary = Vocabulary.load(exact.folder / "tokenizer.json", info.vocab_size, tuple(info.eos_token_ids))
    grammar = GrammarConstraint(__import__("llguidance").LLMatcher.grammar_from_regex(r"ab(cd)+"), vocabulary)
    encode = vocabulary.tokenizer.tokenize_str
    before = grammar.mask()
    assert grammar.valid_prefix(encode("abcdcd")) == len(encode("abcdcd"))
    assert grammar.valid_prefix([*encode("ab"), *encode("x")]) == len(encode("ab"))
    assert np.array_equal(grammar.mask(), before)
