"""Every schema and regex in the corpus, driven by seeded random logits through the real
SmolLM2 vocabulary: whatever path the random walk takes, each finished output is valid."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from navllm.protocol.common import JsonSchemaConstraint, RegexConstraint, text_message
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint
from tests.constrain.corpus import REGEXES, SCHEMAS

SEEDS = range(4)
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


def _generation(constraint) -> Generation:
    return Generation(messages=[text_message("user", "Answer.")], constraint=constraint)


def test_corpus_is_large_enough_and_formats_are_really_checked():
    assert len(SCHEMAS) >= 25 and len(REGEXES) >= 8
    used = {s["format"] for s in json.loads(json.dumps(list(SCHEMAS.values()))) if isinstance(s, dict) and "format" in s}
    assert used <= set(FORMATS.checkers), "a format the validator would silently skip"


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_outputs_validate(name, vocabulary, driver):
    schema = SCHEMAS[name]
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    finished = 0
    for seed in SEEDS:
        outcome = driver.run(build_constraint(_generation(JsonSchemaConstraint(schema=schema)), vocabulary), seed)
        if not outcome.finished:
            continue
        finished += 1
        value = json.loads(outcome.text)
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, f"seed {seed}: {outcome.text!r} -> {errors}"
    assert finished >= len(SEEDS) - 1, f"only {finished} of {len(SEEDS)} random walks finished"


@pytest.mark.parametrize("name", REGEXES)
def test_regex_outputs_match(name, vocabulary, driver):
    pattern, flags, python, python_flags = REGEXES[name]
    finished = 0
    for seed in SEEDS:
        constraint = build_constraint(_generation(RegexConstraint(pattern=pattern, flags=flags)), vocabulary)
        outcome = driver.run(constraint, seed)
        if not outcome.finished:
            continue
        finished += 1
        assert re.fullmatch(python, outcome.text, python_flags), f"seed {seed}: {outcome.text!r} !~ /{pattern}/{flags}"
    assert finished >= len(SEEDS) - 1, f"only {finished} of {len(SEEDS)} random walks finished"
