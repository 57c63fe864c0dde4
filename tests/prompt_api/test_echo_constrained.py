"""The echo backend under a responseConstraint: a reply that matches it, echoing what it can.

Each reply is checked with Python's own parser (``json``, ``re``), not with the grammar that
built it, so a reply the constraint does not allow fails here.
"""

from __future__ import annotations

import json
import re

import pytest

from navllm.protocol.common import JsonSchemaConstraint, Message, RegexConstraint, TextPart, ToolSpec, text_message
from navllm.protocol.errors import ErrorName, NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation, Usage
from navllm.providers.echo import PREAMBLE, EchoProvider


async def reply(constraint, *messages: Message, tools=()) -> tuple[list[str], Usage]:
    conversation = await EchoProvider().open(CoreOptions(), lambda _: None)
    request = Generation(messages=list(messages) or [text_message("user", "hello")], constraint=constraint, tools=list(tools))
    chunks = [c async for c in conversation.generate(request)]
    assert isinstance(chunks[-1], Usage)
    return [c for c in chunks if isinstance(c, str)], chunks[-1]


def prefill(text: str) -> Message:
    return Message(role="assistant", content=[TextPart(value=text)], prefix=True)


RATING = {
    "type": "object",
    "required": ["Rating"],
    "additionalProperties": False,
    "properties": {"Rating": {"type": "number", "minimum": 0, "maximum": 5}},
}


@pytest.mark.parametrize(
    "schema",
    [
        RATING,
        {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 2},
        {"type": "integer", "minimum": -10, "maximum": -3},
        {"type": "number", "exclusiveMinimum": 0.5, "maximum": 1},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "string", "minLength": 4, "maxLength": 6},
        {"type": "object", "required": ["a", "b"], "properties": {"a": {"enum": ["x", "y"]}, "b": {"type": "array", "maxItems": 0}}},
    ],
)
async def test_a_schema_gets_json_that_satisfies_it(schema):
    (text,), usage = await reply(JsonSchemaConstraint(schema=schema))
    value = json.loads(text)
    if schema is RATING:
        assert set(value) == {"Rating"} and 0 <= value["Rating"] <= 5
    elif schema["type"] == "array":
        assert len(value) >= 2 and all(isinstance(v, str) and len(v) >= 2 for v in value)
    elif schema["type"] == "integer":
        assert isinstance(value, int) and -10 <= value <= -3
    elif schema["type"] == "number":
        assert 0.5 < value <= 1
    elif schema["type"] == "boolean":
        assert isinstance(value, bool)
    elif schema["type"] == "null":
        assert value is None
    elif schema["type"] == "string":
        assert isinstance(value, str) and 4 <= len(value) <= 6
    else:
        assert value["a"] in ("x", "y") and value["b"] == []
    assert usage.output_tokens == len(text.encode())


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(true|false)$",
        r"^\d{4}-\d{2}-\d{2}$",
        r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$",
        r"^https?:\/\/[^\s$.?#].[^\s]*$",
        r"^([^,]+,)+[^,]+$",
        r"^(\* .*\n?)+$",
        r'^\s*"[a-zA-Z]+"\s*(?:,\s*"[a-zA-Z]+"\s*)*$',
        r"^-?(0(\.\d+)?|1(\.0+)?)$",
        r"^.{100}$",
        r"^(Red|Green|Blue)$",
    ],
)
async def test_a_regexp_gets_a_reply_it_matches(pattern):
    (text,), _ = await reply(RegexConstraint(pattern=pattern))
    assert re.fullmatch(pattern.strip("^$"), text), text


async def test_the_echo_is_kept_as_far_as_the_constraint_allows():
    # Everything up to the preamble's newline, which `.` does not match.
    (text,), _ = await reply(RegexConstraint(pattern=".*"))
    assert text == PREAMBLE.rstrip("\n")
    (text,), _ = await reply(RegexConstraint(pattern=r"On-device model[\s\S]*"), text_message("user", "hi"))
    assert text == PREAMBLE + "hi"
    (text,), _ = await reply(RegexConstraint(pattern="^On-device (model|engine) here$"))
    assert text == "On-device model here"


async def test_a_prefill_is_continued_and_one_the_constraint_rejects_is_refused():
    question = text_message("user", "rate it")
    (text,), _ = await reply(JsonSchemaConstraint(schema=RATING), question, prefill('{ "Rating": '))
    assert json.loads('{ "Rating": ' + text) == {"Rating": 0}
    (text,), _ = await reply(RegexConstraint(pattern="^Greetings and salutations.*"), question, prefill("Greetings"))
    assert text.startswith(" and salutations")
    for constraint in (JsonSchemaConstraint(schema=RATING), RegexConstraint(pattern="^Greetings.*")):
        with pytest.raises(NavError) as err:
            await reply(constraint, question, prefill("invalid"))
        assert err.value.name == ErrorName.NOT_SUPPORTED


async def test_without_a_constraint_the_echo_is_unchanged_and_tool_calls_still_follow():
    chunks, _ = await reply(None)
    assert chunks == [PREAMBLE, "hello"]
    tool = ToolSpec(name="lookup", description="Args: {}", input_schema={"type": "object", "properties": {}})
    conversation = await EchoProvider().open(CoreOptions(), lambda _: None)
    request = Generation(
        messages=[text_message("user", "<GenerateSimpleToolCalls>go")], constraint=RegexConstraint(pattern="^(yes|no)$"), tools=[tool]
    )
    chunks = [c async for c in conversation.generate(request)]
    assert chunks[0] == "no" and chunks[1].name == "lookup"


async def test_a_constraint_only_long_replies_satisfy_is_refused_not_looped():
    with pytest.raises(NavError) as err:
        await reply(RegexConstraint(pattern=r"^a{5000}$"))
    assert err.value.name == ErrorName.NOT_SUPPORTED and "4096 bytes" in str(err.value)
