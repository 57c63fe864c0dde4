"""The masks are not stricter than the constraint: outputs a page would accept are reachable
(the random-walk tests check the other direction, that everything reachable is valid)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from navllm.protocol.common import JsonSchemaConstraint, RegexConstraint, text_message
from navllm.protocol.errors import NavError
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint
from tests.constrain.corpus import REGEX_EXAMPLES, REGEXES, SCHEMA_EXAMPLES, SCHEMAS, TOOLS

ASK = [text_message("user", "Answer.")]


def _accepts(vocabulary, constraint, text: str) -> bool:
    built = build_constraint(Generation(messages=ASK, constraint=constraint), vocabulary)
    try:
        built.prefill(text)
    except NavError:
        return False
    return bool(built.mask()[list(vocabulary.eos_ids)].all())


@pytest.mark.parametrize("name", REGEX_EXAMPLES)
def test_regex_examples(name, vocabulary):
    pattern, flags, _, _ = REGEXES[name]
    accepted, rejected = REGEX_EXAMPLES[name]
    constraint = RegexConstraint(pattern=pattern, flags=flags)
    assert [t for t in accepted if not _accepts(vocabulary, constraint, t)] == []
    assert [t for t in rejected if _accepts(vocabulary, constraint, t)] == []


@pytest.mark.parametrize("name", SCHEMA_EXAMPLES)
def test_schema_examples(name, vocabulary):
    constraint = JsonSchemaConstraint(schema=SCHEMAS[name])
    assert [t for t in SCHEMA_EXAMPLES[name] if not _accepts(vocabulary, constraint, t)] == []


def test_the_schema_true_accepts_any_json(vocabulary):
    """``true`` is the schema every JSON value satisfies, as ``{}`` is (llguidance takes only the latter), with tools too."""
    constraint = JsonSchemaConstraint(schema=True)
    assert [t for t in ['{"a": [1, 2]}', "[true, null]", '"text"', "3.5"] if not _accepts(vocabulary, constraint, t)] == []
    assert build_constraint(Generation(messages=ASK, constraint=constraint, tools=TOOLS), vocabulary) is not None


@pytest.mark.parametrize("name", REGEXES)
def test_regex_accepts_what_the_pattern_matches(name, vocabulary):
    """Strings generated from the equivalent Python pattern are all reachable under the mask."""
    pattern, flags, python, python_flags = REGEXES[name]
    constraint = RegexConstraint(pattern=pattern, flags=flags)
    tokenizer = vocabulary.tokenizer

    @given(st.from_regex(re.compile(python, python_flags), fullmatch=True))
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
    def check(text):
        # Only text the model can write: its vocabulary has no tokens for some control bytes.
        assume(not any(unicodedata.category(c) in ("Cs", "Cn") for c in text))
        assume(tokenizer.decode_bytes(tokenizer.tokenize_str(text)) == text.encode())
        assert _accepts(vocabulary, constraint, text), text

    check()
