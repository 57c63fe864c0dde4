"""End-of-sequence is forbidden until the output is complete, and forced once nothing can follow."""

from __future__ import annotations

from navllm.protocol.common import JsonSchemaConstraint, RegexConstraint, text_message
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint

ASK = [text_message("user", "Answer.")]


def _feed(constraint, vocabulary, text: str) -> None:
    for token in vocabulary.tokenizer.tokenize_str(text):
        assert constraint.mask()[token]
        constraint.advance(token)


def test_eos_forbidden_before_completion_and_forced_after(vocabulary):
    constraint = build_constraint(Generation(messages=ASK, constraint=JsonSchemaConstraint(schema={"const": {"ok": True}})), vocabulary)
    eos = list(vocabulary.eos_ids)
    _feed(constraint, vocabulary, '{"ok": true')
    assert not constraint.mask()[eos].any()
    _feed(constraint, vocabulary, "}")
    allowed = constraint.mask()
    assert allowed[eos].all() and allowed.sum() == len(eos)


def test_eos_optional_while_the_output_may_still_grow(vocabulary):
    constraint = build_constraint(Generation(messages=ASK, constraint=RegexConstraint(pattern="ab+")), vocabulary)
    eos = list(vocabulary.eos_ids)
    _feed(constraint, vocabulary, "a")
    assert not constraint.mask()[eos].any()
    _feed(constraint, vocabulary, "b")
    allowed = constraint.mask()
    assert allowed[eos].all() and allowed[vocabulary.tokenizer.tokenize_str("b")[0]]
    assert not allowed[vocabulary.tokenizer.tokenize_str("a")[0]]
