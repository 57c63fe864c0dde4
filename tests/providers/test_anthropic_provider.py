"""The Anthropic provider through the official SDK against a real HTTP server speaking the Messages SSE events."""

from __future__ import annotations

import pytest
from fake_anthropic import MODEL, FakeAnthropic, error_event, message_stream
from fake_http import Script, sse, status
from provider_keys import FAST, KEY, built, cancel_after_the_first_chunk, collect

from navllm.protocol.common import JsonSchemaConstraint, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.anthropic import AnthropicProvider
from navllm.providers.base import Usage
from navllm.providers.remote import estimate_tokens
from navllm.settings import ProviderConfig

pytestmark = pytest.mark.usefixtures("close_providers")


def make(server: FakeAnthropic, **fields) -> AnthropicProvider:
    # A key is needed even on 127.0.0.1 here: the preset names the vendor, the URL only moves it.
    config = ProviderConfig(name="claude", kind="anthropic", preset="anthropic", base_url=server.origin, model=MODEL, **fields)
    provider = AnthropicProvider(config, retry=FAST)
    provider.key_needed = True
    return built(provider)


async def test_streams_text_with_usage_system_prompt_and_key_header(anthropic_server, store_key):
    store_key("claude")
    chunks = await collect(
        make(anthropic_server), text_message("system", "Be brief."), text_message("user", "hello there"), text_message("user", "again")
    )
    assert chunks == ["You said: ", "hello thereagain", Usage(input_tokens=5, output_tokens=2)]
    sent = anthropic_server.generations()[0]
    assert anthropic_server.presented_key(sent.headers) == KEY
    assert sent.body["system"] == "Be brief."
    # consecutive user turns are merged: the API wants them alternating
    assert sent.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hello there"}, {"type": "text", "text": "again"}]}
    ]
    assert sent.body["max_tokens"] == 4096


async def test_tool_use_and_tool_results(anthropic_server, store_key):
    store_key("claude")
    tools = [ToolSpec(name="lookup", description="Find things", input_schema={"type": "object"})]
    chunks = await collect(make(anthropic_server), text_message("user", "call the weather"), tools=tools)
    assert chunks[0] == ToolCallPart(call_id="toolu_1", name="lookup", arguments={"q": "the weather"})
    history = [
        text_message("user", "call the weather"),
        Message(role="assistant", content=[chunks[0]]),
        Message(
            role="user", content=[TextPart(value="thanks"), ToolResponsePart(call_id="toolu_1", name="lookup", error_message="offline")]
        ),
    ]
    await collect(make(anthropic_server), *history, tools=tools)
    sent = anthropic_server.generations()[1].body
    assert sent["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "the weather"}}],
    }
    assert sent["messages"][2]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_1", "content": "offline", "is_error": True}
    assert sent["tools"] == [{"name": "lookup", "description": "Find things", "input_schema": {"type": "object"}}]


async def test_json_schema_uses_native_structured_output(anthropic_server, store_key):
    store_key("claude")
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    chunks = await collect(make(anthropic_server), text_message("user", "hi"), constraint=JsonSchemaConstraint(schema=schema))
    assert "".join(c for c in chunks if isinstance(c, str)) == '{"answer": "ok"}'
    assert anthropic_server.generations()[0].body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


async def test_measure_uses_count_tokens_and_estimates_when_it_is_missing(anthropic_server, store_key):
    store_key("claude")
    messages = [text_message("user", "one two three four five six")]
    conversation = await make(anthropic_server).open(CoreOptions(), lambda _: None)
    assert await conversation.measure(messages) == 6  # the server's own count
    anthropic_server.count_tokens = False
    fresh = await make(anthropic_server).open(CoreOptions(), lambda _: None)
    assert await fresh.measure(messages) == estimate_tokens(messages) == 4 + 7  # ceil(27 chars / 4) + overhead


async def test_overloaded_and_error_events(anthropic_server, store_key):
    store_key("claude")
    anthropic_server.then(status(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    assert (await collect(make(anthropic_server), text_message("user", "hi")))[:2] == ["You said: ", "hi"]
    assert len(anthropic_server.generations()) == 2

    started = message_stream([{"text": ["partial"]}], 1, 1)[:4]
    anthropic_server.then(Script(events=[*started, error_event("overloaded_error", "Overloaded")]))
    with pytest.raises(NavError) as caught:
        await collect(make(anthropic_server), text_message("user", "hi"))
    assert caught.value.name == "OperationError"


async def test_bad_key_and_cut_stream(anthropic_server, store_key):
    store_key("claude", "sk-ant-wrong-0123456789")
    with pytest.raises(NavError) as caught:
        await collect(make(anthropic_server), text_message("user", "hi"))
    assert caught.value.name == "NotAllowedError" and "wrong" not in caught.value.message

    store_key("claude")
    events = message_stream([{"text": ["a", "b", "c"]}], 1, 3)
    anthropic_server.then(Script(events=events[:-1]))  # no message_stop
    with pytest.raises(NavError) as caught:
        await collect(make(anthropic_server), text_message("user", "hi"))
    assert caught.value.name == "NetworkError"
    anthropic_server.then(Script(events=[*events[:3], sse("{not json", event="content_block_delta")]))
    with pytest.raises(NavError) as caught:
        await collect(make(anthropic_server), text_message("user", "hi"))
    assert caught.value.name == "OperationError"


async def test_models_are_listed(anthropic_server, store_key):
    store_key("claude")
    assert await make(anthropic_server).models() == [{"model": MODEL, "kind": "chat"}]


async def test_cancelling_closes_the_http_stream(anthropic_server, store_key):
    store_key("claude")
    anthropic_server.then(Script(events=message_stream([{"text": [f"w{i} " for i in range(200)]}], 1, 200), event_delay=0.02))
    await cancel_after_the_first_chunk(make(anthropic_server), anthropic_server)
