"""The real default model (SmolLM2-135M-Instruct, converted from its GGUF) through the local provider
and through the real host process."""

from __future__ import annotations

import pytest

from navllm.protocol.common import Expected, Sampling, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation, Usage
from navllm.providers.local import LocalProvider
from tests.support.host_process import ADMIN, PAGE, HostProcess

pytestmark = pytest.mark.model

QUESTION = "What is the capital of France?"
GREEDY = Sampling(temperature=0)


async def answer(conversation, messages, sampling=GREEDY):
    text, usage = [], None
    async for chunk in conversation.generate(Generation(messages=messages, sampling=sampling)):
        if isinstance(chunk, Usage):
            usage = chunk
        else:
            text.append(chunk)
    return "".join(text), usage


async def test_the_provider_answers_with_the_default_model(installed, smollm2):
    provider = LocalProvider()
    assert await provider.availability(CoreOptions()) == "available"
    seen = []
    conversation = await provider.open(CoreOptions(), seen.append)
    question = [text_message("user", QUESTION)]
    reply, usage = await answer(conversation, question)
    assert "Paris" in reply
    assert usage.input_tokens == await conversation.measure(question)
    assert 0 < usage.output_tokens < 64

    # The follow-up reuses the whole first exchange from the KV cache.
    follow = [*question, text_message("assistant", reply), text_message("user", "And of Italy?")]
    before = smollm2.forwarded
    _, usage2 = await answer(conversation, follow, Sampling(temperature=0, max_tokens=1))
    assert 0 < smollm2.forwarded - before < usage2.input_tokens - usage.input_tokens + 8
    assert usage2.output_tokens == 1


async def test_sampled_replies_are_reproducible_with_a_seed(installed, smollm2):
    provider = LocalProvider()
    one, two = [await provider.open(CoreOptions(), lambda _: None) for _ in range(2)]
    question = [text_message("user", "Write one sentence about the sea.")]
    sampling = Sampling(temperature=1.0, top_k=40, top_p=0.95, seed=7, max_tokens=24)
    first, _ = await answer(one, question, sampling)
    assert first and first == (await answer(two, question, sampling))[0]
    # A clone continues exactly as its original would.
    follow = [*question, text_message("assistant", first), text_message("user", "Another one.")]
    clone = one.clone()
    assert await answer(one, follow, sampling) == await answer(clone, follow, sampling)


async def test_availability_states(navllm_home):
    provider = LocalProvider()
    assert await provider.availability(CoreOptions()) == "downloadable"  # empty store, default pullable
    image = CoreOptions(expected_inputs=[Expected(type="image")])
    french = CoreOptions(expected_inputs=[Expected(type="text", languages=["fr"])])
    english = CoreOptions(expected_outputs=[Expected(type="text", languages=["en-GB"])])
    assert await provider.availability(image) == "unavailable"
    assert await provider.availability(french) == "unavailable"
    assert await provider.availability(english) == "downloadable"
    assert await provider.availability(CoreOptions(model="not-installed")) == "unavailable"
    with pytest.raises(NavError) as err:
        await provider.open(french, lambda _: None)
    assert err.value.name == "NotSupportedError"


def test_a_page_gets_the_answer_through_the_host(installed):
    host = HostProcess(installed)
    try:
        decided = host.call(
            "permission.decide", ADMIN, origin=PAGE["origin"], incognito=False, tabId=PAGE["tabId"], decision="always", providers=["local"]
        )
        assert decided["type"] == "done", decided
        created = host.call("create", options={"sampling": {"temperature": 0}})
        assert created["type"] == "done", created
        info = created["data"]
        assert info["provider"] == "local" and info["contextWindow"] == 8192  # the context SmolLM2 was trained for
        rid = host.request("prompt", session=info["session"], input=[{"role": "user", "content": [{"type": "text", "value": QUESTION}]}])
        replies = host.until_done(rid)
        assert replies[-1]["type"] == "done", replies[-1]
        text = "".join(r.get("delta", "") for r in replies if r["type"] == "chunk")
        assert "Paris" in text
        assert sum(r["type"] == "chunk" for r in replies) > 1  # streamed, not one block
        assert replies[-1]["data"]["contextUsage"] > 0
        # The admin's status shows what the session's KV cache holds, by origin.
        memory = host.call("status", ADMIN)["data"]["sessionMemory"]
        assert memory["bytes"] > 0 and memory["budget"] >= memory["bytes"]
        assert memory["origins"] == [{"origin": PAGE["origin"], "bytes": memory["bytes"]}]
    finally:
        host.close()
