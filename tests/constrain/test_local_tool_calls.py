"""Tool calls on the local model: the prompt shows the tools and the call syntax, the grammar makes
every call the model starts a valid call, and the reply stream is split into text and calls."""

from __future__ import annotations

import itertools
import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navllm.protocol.common import JsonSchemaConstraint, Message, TextPart, ToolCallPart, ToolResponsePart, text_message
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint, prepare
from navllm.providers.local.constrain.tool_calls import OPEN, ToolCallSplitter
from tests.constrain.corpus import TOOLS

SCHEMAS = {t.name: t.input_schema for t in TOOLS}
ASK = [text_message("user", "What is the weather in Paris?")]


def _split(text: str, prefix: str = "", piece: int = 1) -> list:
    splitter = ToolCallSplitter(prefix=prefix)
    chunks = [c for i in range(0, len(text), piece) for c in splitter.feed(text[i : i + piece])]
    return chunks + splitter.finish()


def _check_calls(chunks) -> list[ToolCallPart]:
    calls = [c for c in chunks if isinstance(c, ToolCallPart)]
    for call in calls:
        assert call.name in SCHEMAS
        jsonschema.validate(call.arguments, SCHEMAS[call.name])
        assert call.call_id.startswith("call_")
    assert len({c.call_id for c in calls}) == len(calls)
    return calls


# --- the reply stream ----------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 3, 1000])
def test_splitter_text_then_calls(piece):
    text = 'Let me check. <tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n<tool_call>{"name":"now","arguments":{}}</tool_call>\n'
    chunks = _split(text, piece=piece)
    assert "".join(c for c in chunks if isinstance(c, str)) == "Let me check."
    calls = _check_calls(chunks)
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris"}), ("now", {})]


@pytest.mark.parametrize("piece", [1, 2, 1000])
def test_splitter_passes_plain_text_through_exactly(piece):
    text = "A <tool> is not a <tool_call, and trailing space stays  "
    chunks = _split(text, piece=piece)
    assert all(isinstance(c, str) for c in chunks) and "".join(chunks) == text


def test_splitter_streams_text_before_the_reply_ends():
    splitter = ToolCallSplitter()
    assert splitter.feed("Hello ") == ["Hello"]  # the space could precede a call: held back
    assert splitter.feed("world <tool") == [" world"]
    assert splitter.feed("box>") == [" <toolbox>"]


@pytest.mark.parametrize("piece", [1, 1000])
def test_a_closing_tag_inside_an_argument_does_not_end_the_call(piece):
    text = '<tool_call>{"name": "get_weather", "arguments": {"city": "a</tool_call>b"}}</tool_call>'
    assert [c.arguments for c in _split(text, piece=piece)] == [{"city": "a</tool_call>b"}]


def test_a_call_cut_off_is_kept_as_text():
    chunks = _split('Hm <tool_call>{"name": "now"', piece=1000)
    assert chunks == ["Hm", '<tool_call>{"name": "now"']


def test_a_prefix_that_opens_a_call():
    chunks = _split('{"name": "now", "arguments": {}}</tool_call>', prefix="Sure. <tool_call>")
    assert [(c.name, c.arguments) for c in _check_calls(chunks)] == [("now", {})]
    assert not [c for c in chunks if isinstance(c, str)]


# --- what the model is shown ----------------------------------------------------------------


def test_prepare_lists_tools_in_the_system_turn_and_writes_history_parts_as_text():
    history = [
        text_message("system", "Be brief."),
        *ASK,
        Message(
            role="assistant",
            content=[TextPart(value="Checking."), ToolCallPart(call_id="c1", name="get_weather", arguments={"city": "Paris"})],
        ),
        Message(
            role="user",
            content=[ToolResponsePart(call_id="c1", name="get_weather", result=[TextPart(value="18 °C")]), TextPart(value="And tomorrow?")],
        ),
        Message(role="user", content=[ToolResponsePart(call_id="c2", name="now", error_message="clock broken")]),
    ]
    system, ask, call, result, error = prepare(history, constraint=None, tools=TOOLS, omit_constraint_input=False)
    assert system.role == "system" and system.text.startswith("Be brief.\n\n")
    for tool in TOOLS:
        assert json.dumps(tool.input_schema) in system.text and tool.description in system.text
    assert '<tool_call>{"name": "<tool name>", "arguments": {<arguments as JSON>}}</tool_call>' in system.text
    assert ask == ASK[0]
    assert call.text == 'Checking.\n<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
    assert result.text == '<tool_response>{"name": "get_weather", "callID": "c1", "result": "18 °C"}</tool_response>\nAnd tomorrow?'
    assert error.text == '<tool_response>{"name": "now", "callID": "c2", "error": "clock broken"}</tool_response>'


def test_prepare_adds_a_system_turn_and_the_constraint_to_the_last_user_turn():
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    messages = [*ASK, text_message("assistant", "{"), text_message("user", "Again.")]
    out = prepare(messages, constraint=JsonSchemaConstraint(schema=schema), tools=TOOLS[:1], omit_constraint_input=False)
    assert [m.role for m in out] == ["system", "user", "assistant", "user"]
    assert out[1] == messages[0] and out[3].text.startswith("Again.\n\n") and json.dumps(schema) in out[3].text
    omitted = prepare(messages, constraint=JsonSchemaConstraint(schema=schema), tools=[], omit_constraint_input=True)
    assert omitted == messages


# --- the grammar under random logits --------------------------------------------------------


def _prefilled(text: str) -> list[Message]:
    return [*ASK, Message(role="assistant", content=[TextPart(value=text)], prefix=True)]


@pytest.mark.parametrize("seed", range(6))
def test_a_started_call_is_always_a_valid_call(seed, vocabulary, driver):
    prefix = "<tool_call>"
    constraint = build_constraint(Generation(messages=_prefilled(prefix), tools=TOOLS), vocabulary)
    outcome = driver.run(constraint, seed)
    assert outcome.finished, outcome.text
    chunks = _split(outcome.text, prefix=prefix, piece=7)
    assert _check_calls(chunks), outcome.text
    assert not [c for c in chunks if isinstance(c, str) and c.strip()], outcome.text


@pytest.mark.parametrize("seed", range(4))
def test_text_or_calls_under_random_logits(seed, vocabulary, driver):
    constraint = build_constraint(Generation(messages=ASK, tools=TOOLS), vocabulary)
    outcome = driver.run(constraint, seed)
    assert outcome.finished
    chunks = _split(outcome.text, piece=5)
    if not _check_calls(chunks):
        assert "".join(chunks) == outcome.text  # plain text passes through untouched


@pytest.mark.parametrize("seed", range(4))
def test_tools_with_a_constrained_answer(seed, vocabulary, driver):
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "maxLength": 8}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    constraint = build_constraint(Generation(messages=ASK, tools=TOOLS, constraint=JsonSchemaConstraint(schema=schema)), vocabulary)
    outcome = driver.run(constraint, seed)
    assert outcome.finished
    chunks = _split(outcome.text)
    if _check_calls(chunks):
        assert not [c for c in chunks if isinstance(c, str) and c.strip()]
    else:
        jsonschema.validate(json.loads(outcome.text), schema)


@given(
    text=st.text(alphabet="<tool_cal>/ \nxé", max_size=40).filter(lambda t: OPEN not in t),
    calls=st.lists(
        st.tuples(
            st.sampled_from([t.name for t in TOOLS]), st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=12), max_size=3)
        ),
        max_size=3,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
@settings(max_examples=100, deadline=None)
def test_splitter_for_any_chunking(text, calls, cuts):
    reply = text + "\n".join(f"{OPEN}{json.dumps({'name': n, 'arguments': a})}</tool_call>" for n, a in calls)
    bounds = sorted({0, len(reply), *(c for c in cuts if c < len(reply))})
    splitter = ToolCallSplitter()
    chunks = [c for lo, hi in itertools.pairwise(bounds) for c in splitter.feed(reply[lo:hi])] + splitter.finish()
    got_calls = [(c.name, c.arguments) for c in chunks if isinstance(c, ToolCallPart)]
    got_text = "".join(c for c in chunks if isinstance(c, str))
    assert got_calls == calls
    assert got_text == (text.rstrip() if calls else text)
