"""The echo backend answers exactly as the browser's test mock does."""

from __future__ import annotations

from navllm.protocol.common import Expected, MediaPart, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec, text_message
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation, Usage
from navllm.providers.echo import PREAMBLE, EchoProvider, usage_of

OBJECT = {"type": "object", "properties": {}}


async def run(messages, tools=()):
    conversation = await EchoProvider().open(CoreOptions(), lambda _: None)
    chunks = [c async for c in conversation.generate(Generation(messages=messages, tools=list(tools)))]
    text = "".join(c for c in chunks if isinstance(c, str))
    calls = [c for c in chunks if isinstance(c, ToolCallPart)]
    assert isinstance(chunks[-1], Usage)
    return text, calls


async def test_first_reply_echoes_initial_prompts_then_only_new_input():
    history = [text_message("system", "be terse. "), text_message("user", "hello")]
    text, _ = await run(history)
    assert text == PREAMBLE + "be terse. hello"
    history += [text_message("assistant", text), text_message("user", "again")]
    text, _ = await run(history)
    assert text == PREAMBLE + "again"


async def test_prefix_is_not_echoed_and_media_render_as_tags():
    msg = Message(role="user", content=[TextPart(value="see "), MediaPart(type="image", mime_type="image/png", data="AA==")])
    prefix = Message(role="assistant", content=[TextPart(value="{")], prefix=True)
    text, _ = await run([msg, prefix])
    assert text == PREAMBLE + "see <image>"


def test_usage_counts_utf8_bytes_and_100_per_non_text_part():
    media = MediaPart(type="audio", mime_type="audio/wav", data="AA==")
    response = ToolResponsePart(call_id="c", name="n", result=[TextPart(value="4")])
    messages = [Message(role="user", content=[TextPart(value="héllo"), media, response])]
    assert usage_of(messages) == 6 + 100 + 100


async def test_trigger_yields_text_then_one_call_per_tool_with_hinted_arguments():
    tools = [
        ToolSpec(name="get_weather", description='Weather. Args: {"location": "Seattle"}', input_schema=OBJECT),
        ToolSpec(name="clock", description="Time, no hint.", input_schema=OBJECT),
        ToolSpec(name="broken", description="Args: {not json}", input_schema=OBJECT),
    ]
    text, calls = await run([text_message("user", "<GenerateMultipleToolCalls>Check Seattle")], tools)
    assert text == PREAMBLE + "Check Seattle"
    assert [(c.call_id, c.name, c.arguments) for c in calls] == [
        ("call_1", "get_weather", {"location": "Seattle"}),
        ("call_2", "clock", {}),
        ("call_3", "broken", {}),
    ]


async def test_trigger_without_tools_is_plain_text():
    text, calls = await run([text_message("user", "<GenerateSimpleToolCalls>hi")])
    assert calls == [] and text == PREAMBLE + "<GenerateSimpleToolCalls>hi"


async def test_tool_responses_render_like_the_mock():
    ok = ToolResponsePart(call_id="call_1", name="calc", result=[TextPart(value="4"), TextPart(value="four")])
    bad = ToolResponsePart(call_id="call_2", name="calc", error_message="Location Not Found")
    text, _ = await run([Message(role="user", content=[ok, bad])])
    assert text == PREAMBLE + (
        '<tool-response>{"callID": "call_1", "name": "calc", "result": ["4", "four"]}</tool-response>'
        '<tool-response>{"callID": "call_2", "name": "calc", "errorMessage": "Location Not Found"}</tool-response>'
    )


async def test_tool_calls_the_page_supplies_are_echoed_as_its_input():
    # An assistant message of tool calls alone is history the page kept, not a reply: echoed.
    nested = ToolCallPart(call_id="a", name="lookup", arguments={"filters": {"cities": ["Paris"]}})
    history = [Message(role="assistant", content=[nested, ToolCallPart(call_id="b", name="lookup")]), text_message("user", "go")]
    text, calls = await run(history)
    assert calls == []
    assert text == PREAMBLE + (
        '<tool-call>{"callID": "a", "name": "lookup", "arguments": {"filters": {"cities": ["Paris"]}}}</tool-call>'
        '<tool-call>{"callID": "b", "name": "lookup", "arguments": {}}</tool-call>go'
    )
    # A reply (it holds text) ends what is echoed, with the calls it made.
    history += [
        Message(role="assistant", content=[TextPart(value=text), ToolCallPart(call_id="c", name="lookup")]),
        text_message("user", "again"),
    ]
    text, _ = await run(history)
    assert text == PREAMBLE + "again"


async def test_availability_english_only_and_text_outputs():
    provider = EchoProvider()
    assert await provider.availability(CoreOptions(expected_inputs=[Expected(type="text", languages=["en-US"])])) == "available"
    assert await provider.availability(CoreOptions(expected_inputs=[Expected(type="text", languages=["unk"])])) == "unavailable"
    assert await provider.availability(CoreOptions(expected_outputs=[Expected(type="image")])) == "unavailable"
