"""The vocabulary constrained decoding uses, built on the tokenizer the loaded model already holds
(``Vocabulary.of``), must be the one llguidance builds from the tokenizer file: the same bytes and
special flag for every id, the same tokenization of text, the same masks along a constrained
walk; and it must hold less memory, which is its reason to exist."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from navllm.models.convert import convert_gguf
from navllm.protocol.common import JsonSchemaConstraint, RegexConstraint
from navllm.providers.base import Generation
from navllm.providers.local import runtime
from navllm.providers.local.constrain.token_mask import GrammarConstraint, Vocabulary, _grammar
from tests.constrain.driver import RandomDriver
from tests.convert import tiny_gguf
from tests.support.memory import ANON_MIB

TEXTS = ["Hello world", " leading space", "x  y\n\nz", "naïve café 東京 🙂", "<|im_end|> after a special", "12345 678", ""]
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}, "required": ["name", "n"]}
TOKENIZERS = {  # tiny GGUFs of each tokenizer kind the converter writes
    "byte-level smollm": {"tokenizer": "gpt2", "pre": "smollm"},
    "byte-level llama3": {"tokenizer": "gpt2", "pre": "llama-bpe"},
    "byte-level qwen2": {"tokenizer": "gpt2", "pre": "qwen2"},
    "sentencepiece, no space prefix": {"tokenizer": "llama", "space_prefix": False},
    "sentencepiece, space prefix": {"tokenizer": "llama"},
}


def _from_file(model: runtime.LoadedModel) -> Vocabulary:
    info = model.info
    return Vocabulary.load(model.folder / "tokenizer.json", info.vocab_size, tuple(info.eos_token_ids))


def _assert_same(model: runtime.LoadedModel) -> None:
    ours, theirs = Vocabulary.of(model), _from_file(model)
    a, b = ours.tokenizer, theirs.tokenizer
    assert (ours.size, ours.eos_ids) == (theirs.size, theirs.eos_ids)
    assert [a.decode_bytes([i]) for i in range(ours.size)] == [b.decode_bytes([i]) for i in range(theirs.size)]
    assert [a.is_special_token(i) for i in range(ours.size)] == [b.is_special_token(i) for i in range(theirs.size)]
    for text in TEXTS:
        assert a.tokenize_str(text) == b.tokenize_str(text), text
    # A walk driven on one vocabulary's masks is allowed, mask for mask, on the other's.
    for constraint in (JsonSchemaConstraint(schema_=SCHEMA), RegexConstraint(pattern=r"^- [^\n]{2,40}(\n- [^\n]{2,40}){0,2}$")):
        grammar = _grammar(constraint, [])
        walk = RandomDriver(ours, budget=16, cap=120).run(GrammarConstraint(grammar, ours), seed=3)
        mine, other = GrammarConstraint(grammar, ours), GrammarConstraint(grammar, theirs)
        for token in walk.tokens:
            assert (mine.mask() == other.mask()).all()
            mine.advance(token)
            other.advance(token)


@pytest.mark.model
def test_the_default_models_vocabulary_equals_the_files(smollm2):
    assert Vocabulary.of(smollm2) is not _from_file(smollm2)  # built apart, not the file's
    _assert_same(smollm2)


@pytest.mark.parametrize("kind", TOKENIZERS)
def test_each_tokenizer_kind_equals_the_files(kind, tmp_path):
    gguf = tiny_gguf.write(tmp_path / "tiny.gguf", **TOKENIZERS[kind])
    convert_gguf(gguf, tmp_path / "model")
    model = runtime.load(tmp_path / "model", threads=1)
    _assert_same(model)
    if kind == "sentencepiece, space prefix":
        # llguidance drops the prepended space when it tokenizes the middle of a reply; ours would
        # not, so this kind keeps the file's vocabulary.
        assert Vocabulary.of(model) is _from_file(model)


@pytest.mark.model
def test_a_generation_uses_the_models_own_vocabulary(smollm2):
    from navllm.protocol.common import text_message
    from navllm.providers.local.constrain import decoder

    request = Generation(messages=[text_message("user", "hi")], constraint=JsonSchemaConstraint(schema_=SCHEMA))
    built = decoder(request, smollm2).constraint
    assert built is not None and built.vocabulary is Vocabulary.of(smollm2) and built.vocabulary is not _from_file(smollm2)


_MEASURE = (
    ANON_MIB
    + """
import json, sys
from pathlib import Path
from navllm.providers.local import runtime
from navllm.providers.local.constrain.token_mask import Vocabulary

model = runtime.load(Path(sys.argv[1]), 1)
before = anon()
if sys.argv[2] == "of":
    Vocabulary.of(model)
else:
    Vocabulary.load(model.folder / "tokenizer.json", model.info.vocab_size, tuple(model.info.eos_token_ids))
print(json.dumps(anon() - before))
"""
)


@pytest.mark.model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_the_models_own_vocabulary_holds_less_memory(smollm2):
    def grown(how: str) -> float:
        run = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(smollm2.folder), how], capture_output=True, text=True, timeout=120, check=True
        )
        return float(json.loads(run.stdout))

    # Measured: +17 MiB anonymous memory on the model's tokenizer, +47 MiB from the file.
    assert grown("of") + 15 < grown("file")
