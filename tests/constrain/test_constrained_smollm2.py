"""The real default model (SmolLM2-135M, converted by our converter) under constraints, through
the local conversation and engine: every reply is valid for its schema or regex, and tool calls
parse into calls of declared tools with valid arguments."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from navllm.protocol.common import JsonSchemaConstraint, Message, RegexConstraint, Sampling, TextPart, ToolCallPart, text_message
from navllm.providers.base import Generation, Usage
from navllm.providers.local.conversation import LocalConversation
from navllm.providers.local.sampler import SamplerConfig
from tests.constrain.corpus import REGEXES, SCHEMAS, TOOLS

pytestmark = pytest.mark.model

TOOL_SCHEMAS = {t.name: t.input_schema for t in TOOLS}

JSON_CASES = {
    "person (required and optional)": "Describe a fictional person.",
    "nested object": "Give an id and a postal address.",
    "array of strings 1..3": "List some fruits.",
    "oneOf tagged union": "Describe a shape.",
    "nullable by type list": "Leave a short note.",
    "rating (as the Prompt API tests use)": "Rate the movie Up from 0 to 5.",
}
REGEX_CASES = {"yes or no": "Is water wet?", "phone": "Give a phone number.", "hex colour": "What is the hex code for red?"}


async def _reply(model, messages, max_tokens: int = 96, **request) -> tuple[str, list[ToolCallPart]]:
    conversation = LocalConversation(model, 2048, SamplerConfig())  # greedy
    text, calls = "", []
    try:
        async for chunk in conversation.generate(Generation(messages=messages, sampling=Sampling(max_tokens=max_tokens), **request)):
            if isinstance(chunk, str):
                text += chunk
            elif isinstance(chunk, ToolCallPart):
                calls.append(chunk)
            else:
                assert isinstance(chunk, Usage)
    finally:
        await conversation.close()
    return text, calls


async def test_schema_constrained_replies_validate(smollm2):
    for name, question in JSON_CASES.items():
        schema = SCHEMAS[name]
        text, _ = await _reply(smollm2, [text_message("user", question)], constraint=JsonSchemaConstraint(schema=schema))
        jsonschema.validate(json.loads(text), schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


async def test_regex_constrained_replies_match(smollm2):
    for name, question in REGEX_CASES.items():
        pattern, flags, python, python_flags = REGEXES[name]
        text, _ = await _reply(smollm2, [text_message("user", question)], constraint=RegexConstraint(pattern=pattern, flags=flags))
        assert re.fullmatch(python, text, python_flags), (name, text)


async def test_omitting_the_constraint_from_the_prompt_still_constrains(smollm2):
    schema = SCHEMAS["rating (as the Prompt API tests use)"]
    text, _ = await _reply(
        smollm2, [text_message("user", "Rate the movie Up.")], constraint=JsonSchemaConstraint(schema=schema), omit_constraint_input=True
    )
    jsonschema.validate(json.loads(text), schema)


async def test_prefix_continues_under_the_constraint(smollm2):
    schema = SCHEMAS["rating (as the Prompt API tests use)"]
    messages = [text_message("user", "Rate the movie Up."), Message(role="assistant", content=[TextPart(value='{"Rating": ')], prefix=True)]
    text, _ = await _reply(smollm2, messages, constraint=JsonSchemaConstraint(schema=schema))
    jsonschema.validate(json.loads('{"Rating": ' + text), schema)


async def test_tool_calls_from_the_model_parse_and_validate(smollm2):
    ask = [text_message("user", "What is the weather in Paris? Use a tool.")]
    _, free_calls = await _reply(smollm2, ask, max_tokens=48, tools=TOOLS)
    forced = [*ask, Message(role="assistant", content=[TextPart(value="<tool_call>")], prefix=True)]
    text, calls = await _reply(smollm2, forced, max_tokens=48, tools=TOOLS)
    assert calls, text
    # Greedy, this small model repeats its call until max_tokens; a call cut off there stays text.
    assert not text.strip() or text.startswith("<tool_call>"), text
    for call in free_calls + calls:
        jsonschema.validate(call.arguments, TOOL_SCHEMAS[call.name])
