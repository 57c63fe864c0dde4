"""The OpenAI-compatible provider through the official SDK against a real HTTP server, with faults."""

from __future__ import annotations

import time

import pytest
from fake_http import Script, sse, status
from fake_openai import MODEL, FakeOpenAI, chunk, text_stream
from provider_keys import FAST, KEY, built, cancel_after_the_first_chunk, collect

from navllm.protocol.common import (
    JsonSchemaConstraint,
    Message,
    RegexConstraint,
    TextPart,
    ToolCallPart,
    ToolResponsePart,
    ToolSpec,
    text_message,
)
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation, Usage
from navllm.providers.openai import OpenAIProvider
from navllm.providers.remote import RetryPolicy
from navllm.settings import ProviderConfig

pytestmark = pytest.mark.usefixtures("close_providers")


def make(server: FakeOpenAI, retry: RetryPolicy = FAST, **fields) -> OpenAIProvider:
    config = ProviderConfig(name="acme", kind="openai", base_url=server.base_url, model=MODEL, **fields)
    return built(OpenAIProvider(config, retry=retry))


def assert_no_key(text: str) -> None:
    for start in range(len(KEY) - 5):
        assert KEY[start : start + 6] not in text, f"key fragment {KEY[start : start + 6]!r} leaked: {text}"


async def test_streams_text_with_usage_from_the_reply_and_sends_the_key(openai_server, store_key):
    store_key("acme")
    chunks = await collect(make(openai_server), text_message("system", "Be brief."), text_message("user", "hello there"))
    assert chunks == ["You said: ", "hello there", Usage(input_tokens=4, output_tokens=2)]
    sent = openai_server.generations()[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}]


async def test_tool_calls_stream_as_parts_and_results_go_back_as_tool_messages(openai_server, store_key):
    store_key("acme")
    tools = [ToolSpec(name="lookup", description="Find things", input_schema={"type": "object", "properties": {"q": {"type": "string"}}})]
    chunks = await collect(make(openai_server), text_message("user", "call weather in Oslo"), tools=tools)
    assert chunks[0] == ToolCallPart(call_id="call_1", name="lookup", arguments={"q": "weather in Oslo"})
    assert openai_server.generations()[0].body["tools"][0]["function"]["parameters"]["properties"] == {"q": {"type": "string"}}

    history = [
        text_message("user", "call weather in Oslo"),
        Message(role="assistant", content=[chunks[0]]),
        Message(role="user", content=[ToolResponsePart(call_id="call_1", name="lookup", result=[TextPart(value="sunny")])]),
    ]
    await collect(make(openai_server), *history, tools=tools)
    sent = openai_server.generations()[1].body["messages"]
    assert sent[1]["tool_calls"][0] == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": '{"q": "weather in Oslo"}'},
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


async def test_json_schema_constraint_becomes_response_format_and_regex_is_refused(openai_server, store_key):
    store_key("acme")
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    chunks = await collect(make(openai_server), text_message("user", "hi"), constraint=JsonSchemaConstraint(schema=schema))
    assert "".join(c for c in chunks if isinstance(c, str)) == '{"answer": "ok"}'
    assert openai_server.generations()[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema},
    }
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"), constraint=RegexConstraint(pattern="a+"))
    assert caught.value.name == "NotSupportedError"


async def test_bad_key_is_not_allowed_and_the_key_never_appears(openai_server, store_key):
    store_key("acme", "sk-wrong-key-ABCDEFGHIJKLMNOP")
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"))
    assert caught.value.name == "NotAllowedError"
    assert "wrong-key" not in str(caught.value.to_wire()) and "ABCDEF" not in str(caught.value.to_wire())
    assert len(openai_server.generations()) == 1  # a bad key is not retried


async def test_429_with_retry_after_is_waited_out_then_succeeds(openai_server, store_key):
    store_key("acme")
    openai_server.then(status(429, {"error": {"message": "Rate limit reached"}}, retry_after="1"))
    started = time.monotonic()
    chunks = await collect(make(openai_server), text_message("user", "again"))
    assert time.monotonic() - started >= 1.0
    assert chunks[:2] == ["You said: ", "again"]
    assert len(openai_server.generations()) == 2


async def test_429_with_a_long_retry_after_reports_quota_with_retry_after(openai_server, store_key):
    store_key("acme")
    openai_server.then(status(429, {"error": {"message": "Rate limit reached"}}, retry_after="120"))
    started = time.monotonic()
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"))
    assert time.monotonic() - started < 15  # not waited out (a first call also imports the SDK)
    assert caught.value.name == "QuotaExceededError" and caught.value.details["retryAfter"] == 120


async def test_5xx_is_retried_with_backoff_then_reported(openai_server, store_key):
    store_key("acme")
    openai_server.then(*[status(500, {"error": {"message": "boom"}})] * 3)
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"))
    assert caught.value.name == "OperationError" and "HTTP 500" in caught.value.message
    assert len(openai_server.generations()) == FAST.attempts

    openai_server.then(status(503, {"error": {"message": "busy"}}))
    assert (await collect(make(openai_server), text_message("user", "ok")))[:2] == ["You said: ", "ok"]


async def test_context_too_long_is_quota_exceeded(openai_server, store_key):
    store_key("acme")
    openai_server.then(
        status(400, {"error": {"message": "This model's maximum context length is 8192 tokens.", "code": "context_length_exceeded"}})
    )
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"))
    assert caught.value.name == "QuotaExceededError"


async def test_connection_dropped_mid_stream_is_a_network_error_after_the_first_delta(openai_server, store_key):
    store_key("acme")
    openai_server.then(Script(events=text_stream(["one ", "two ", "three"]), drop_after=2))
    got = []
    with pytest.raises(NavError) as caught:
        conversation = await make(openai_server).open(CoreOptions(), lambda _: None)
        async for piece in conversation.generate(Generation(messages=[text_message("user", "hi")])):
            got.append(piece)
    assert got == ["one "]
    assert caught.value.name == "NetworkError"
    assert len(openai_server.generations()) == 1  # never retried once words reached the page


async def test_stream_ending_without_finish_is_a_network_error(openai_server, store_key):
    store_key("acme")
    openai_server.then(Script(events=[chunk({"content": "half"}), sse("[DONE]")]))
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"))
    assert caught.value.name == "NetworkError"


async def test_slow_first_byte_times_out_but_within_the_timeout_succeeds(openai_server, store_key):
    store_key("acme")
    openai_server.then(Script(events=text_stream(["late"]), first_byte_delay=1.5))
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server, timeout=0.5), text_message("user", "hi"))
    assert caught.value.name == "TimeoutError"
    openai_server.then(Script(events=text_stream(["late"]), first_byte_delay=0.3))
    assert (await collect(make(openai_server, timeout=5), text_message("user", "hi")))[0] == "late"


async def test_malformed_event_stream_is_an_operation_error(openai_server, store_key):
    store_key("acme")
    openai_server.then(Script(events=[sse("{this is not json")]))
    with pytest.raises(NavError) as caught:
        await collect(make(openai_server), text_message("user", "hi"))
    assert caught.value.name == "OperationError"


async def test_unreachable_server_is_a_network_error(store_key):
    store_key("acme")
    with FakeOpenAI() as server:
        base = server.base_url
    provider = built(OpenAIProvider(ProviderConfig(name="acme", kind="openai", base_url=base, model=MODEL), retry=FAST))
    with pytest.raises(NavError) as caught:
        await collect(provider, text_message("user", "hi"))
    assert caught.value.name == "NetworkError"


async def test_cancelling_closes_the_http_stream(openai_server, store_key):
    store_key("acme")
    openai_server.then(Script(events=text_stream([f"w{i} " for i in range(200)]), event_delay=0.02))
    await cancel_after_the_first_chunk(make(openai_server), openai_server)


async def test_missing_key_blocks_a_keyed_endpoint_and_local_servers_need_none(openai_server):
    keyed = OpenAIProvider(ProviderConfig(name="cloud", kind="openai", preset="groq"))
    assert await keyed.availability(CoreOptions()) == "unavailable"
    with pytest.raises(NavError) as caught:
        await keyed.open(CoreOptions(), lambda _: None)
    assert caught.value.name == "NotAllowedError" and "navllm keys set cloud" in caught.value.message

    with FakeOpenAI() as local:  # a server on this machine that wants no key
        provider = built(OpenAIProvider(ProviderConfig(name="box", kind="openai", base_url=local.base_url)))
        assert await provider.availability(CoreOptions()) == "available"
        chunks = await collect(provider, text_message("user", "hi"))  # model taken from /models
        assert chunks[:2] == ["You said: ", "hi"]
        assert local.generations()[0].body["model"] == MODEL
        assert await provider.models() == [{"model": MODEL, "kind": "chat"}]
