"""The masks are not stricter than the constraint: outputs a page would accept are reachable
(the random-walk tests check the other direction, that everything reachable is valid)."""

from __future__ import annotations

import pytest

from navllm.protocol.common import JsonSchemaConstraint, RegexConstraint, text_message
from navllm.protocol.errors import NavError
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint
from tests.constrain.corpus import REGEX_EXAMPLES, REGEXES, SCHEMA_EXAMPLES, SCHEMAS

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
