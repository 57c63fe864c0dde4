"""What can't be constrained is refused with the Prompt API's errors, naming the reason:
NotSupportedError for features (and recursive schemas, as Chrome does), SyntaxError for
constraints nothing satisfies, NotSupportedError for a pre-fill the constraint contradicts."""

from __future__ import annotations

import pytest

from navllm.protocol.common import JsonSchemaConstraint, Message, RegexConstraint, TextPart, ToolSpec, text_message
from navllm.protocol.errors import ErrorName, NavError
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint
from tests.constrain.corpus import UNSATISFIABLE_SCHEMAS, UNSUPPORTED_REGEXES, UNSUPPORTED_SCHEMAS

ASK = [text_message("user", "Answer.")]


def _error(vocabulary, **request) -> NavError:
    with pytest.raises(NavError) as caught:
        build_constraint(Generation(**{"messages": ASK, **request}), vocabulary)
    return caught.value


@pytest.mark.parametrize("name", UNSUPPORTED_SCHEMAS)
def test_unsupported_schema_features(name, vocabulary):
    error = _error(vocabulary, constraint=JsonSchemaConstraint(schema=UNSUPPORTED_SCHEMAS[name]))
    assert error.name == ErrorName.NOT_SUPPORTED, error.message


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        ({"not": {"type": "string"}}, '"not"'),
        ({"type": "string", "format": "color"}, "'color'"),
        (UNSUPPORTED_SCHEMAS["circular $ref"], "circular $ref"),
        (UNSUPPORTED_SCHEMAS["remote $ref"], "https://example.com/schema.json"),
        (UNSUPPORTED_SCHEMAS["overlapping oneOf"], "oneOf"),
    ],
)
def test_refusals_name_the_feature(schema, named, vocabulary):
    assert named in _error(vocabulary, constraint=JsonSchemaConstraint(schema=schema)).message


@pytest.mark.parametrize("name", UNSATISFIABLE_SCHEMAS)
def test_unsatisfiable_schemas(name, vocabulary):
    error = _error(vocabulary, constraint=JsonSchemaConstraint(schema=UNSATISFIABLE_SCHEMAS[name]))
    assert error.name == ErrorName.SYNTAX, error.message


@pytest.mark.parametrize("name", UNSUPPORTED_REGEXES)
def test_unsupported_regexes(name, vocabulary):
    pattern, flags = UNSUPPORTED_REGEXES[name]
    error = _error(vocabulary, constraint=RegexConstraint(pattern=pattern, flags=flags))
    assert error.name == ErrorName.NOT_SUPPORTED, error.message


def test_a_tool_schema_is_checked_like_a_constraint(vocabulary):
    tool = ToolSpec(name="walk", description="Walks a tree.", input_schema=UNSUPPORTED_SCHEMAS["circular $ref"])
    error = _error(vocabulary, tools=[tool])
    assert error.name == ErrorName.NOT_SUPPORTED and "'walk'" in error.message


def _prefilled(text: str) -> list[Message]:
    return [*ASK, Message(role="assistant", content=[TextPart(value=text)], prefix=True)]


def test_prefix_contradicting_the_constraint_is_not_supported(vocabulary):
    error = _error(vocabulary, messages=_prefilled("maybe"), constraint=RegexConstraint(pattern="^(yes|no)$"))
    assert error.name == ErrorName.NOT_SUPPORTED


def test_prefix_that_fits_continues_the_constraint(vocabulary):
    schema = {"type": "object", "properties": {"Rating": {"type": "number"}}, "required": ["Rating"], "additionalProperties": False}
    constraint = build_constraint(
        Generation(messages=_prefilled('{"Rating": '), constraint=JsonSchemaConstraint(schema=schema)), vocabulary
    )
    allowed = constraint.mask()
    tok = vocabulary.tokenizer
    assert allowed[tok.tokenize_str("4")[0]]  # a number may follow
    assert not allowed[tok.tokenize_str("x")[0]]
    assert not any(allowed[i] for i in vocabulary.eos_ids)  # and the object is not complete yet


def test_invalid_flags_are_a_syntax_error(vocabulary):
    assert _error(vocabulary, constraint=RegexConstraint(pattern="a", flags="ii")).name == ErrorName.SYNTAX


def test_an_unsupported_keyword_in_a_tool_schema_names_the_tool(vocabulary):
    tool = ToolSpec(name="pick", description="Picks.", input_schema={"type": "object", "properties": {"x": {"not": {"type": "string"}}}})
    error = _error(vocabulary, tools=[tool])
    assert error.name == ErrorName.NOT_SUPPORTED and "'pick'" in error.message and '"not"' in error.message
