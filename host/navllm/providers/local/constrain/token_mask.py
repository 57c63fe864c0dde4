"""JSON Schema, RegExp and tool calls as token masks: one llguidance grammar per generation.

A page's ``responseConstraint`` and ``tools`` become one llguidance grammar; a
``GrammarConstraint`` (the sampler's ``TokenConstraint``) computes, before each token, which
vocabulary ids keep the output inside that grammar, so the result is valid by construction
rather than by retrying. End-of-sequence is allowed only once the output is complete, and is
the only choice left when nothing more can follow. What the grammar cannot express is refused
with the Prompt API's errors, naming the feature.

llguidance and numpy are imported lazily: nothing here runs at host start-up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ....protocol.common import JsonSchemaConstraint, Message, RegexConstraint, ToolSpec
from ....protocol.errors import ErrorName, NavError
from ...base import Generation
from .js_regex import js_regex_to_rust
from .schema_refs import check_refs
from .tool_calls import call_schema, calls_grammar

if TYPE_CHECKING:
    import llguidance
    import numpy as np
    from llguidance._lib import JsonCompileOptions  # declared in the stub only
    from tokenizers import Tokenizer

    from ..runtime import LoadedModel

# Compact-ish JSON: a little whitespace where JSON allows it (so ``{"a": 1}`` and pre-filled
# prefixes written by hand fit) but bounded, so a model can't pad forever. Options the page
# could otherwise set through an ``x-guidance`` key are pinned here.
JSON_OPTIONS: JsonCompileOptions = {
    "whitespace_pattern": r"[\x20\x0A\x0D\x09]{0,8}",
    "lenient": False,
    "coerce_one_of": False,
}


@dataclass(frozen=True)
class Vocabulary:
    """A model's tokenizer as llguidance sees it, with the logits' width and the EOS ids."""

    tokenizer: llguidance.LLTokenizer
    size: int
    eos_ids: tuple[int, ...]

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def load(tokenizer_json: Path, size: int, eos_ids: tuple[int, ...]) -> Vocabulary:
        """Build once per model (~0.4 s: llguidance indexes every token's bytes) from the tokenizer file."""
        import llguidance

        text = Path(tokenizer_json).read_text(encoding="utf-8")
        return Vocabulary(llguidance.LLTokenizer(text, n_vocab=size, eos_token=list(eos_ids)), size, tuple(eos_ids))

    @staticmethod
    def of(model: LoadedModel) -> Vocabulary:
        """The loaded model's vocabulary. Built from the tokenizer the model already holds where its
        tokens' bytes can be read off (the two kinds the converter writes): from the file,
        llguidance would keep a second whole tokenizer, ~40 MiB for SmolLM2's 49,152 tokens."""
        info = model.info
        return _on_tokenizer(model.tokenizer, info.vocab_size, tuple(info.eos_token_ids)) or Vocabulary.load(
            model.folder / "tokenizer.json", info.vocab_size, tuple(info.eos_token_ids)
        )


@functools.lru_cache(maxsize=4)
def _on_tokenizer(tokenizer: Tokenizer, size: int, eos_ids: tuple[int, ...]) -> Vocabulary | None:
    import llguidance

    read = _token_bytes(tokenizer, size)
    if read is None:
        return None
    wrapped = llguidance.TokenizerWrapper(_TokenSource(tokenizer, *read, eos_ids[0]))
    return Vocabulary(llguidance.LLTokenizer(wrapped, n_vocab=size, eos_token=list(eos_ids)), size, eos_ids)


class _TokenSource:
    """What ``llguidance.TokenizerWrapper`` reads: each id's bytes, the special ids, and a way to tokenize text."""

    def __init__(self, tokenizer: Tokenizer, tokens: list[bytes], special: list[int], eos: int):
        self._tokenizer = tokenizer
        self.tokens, self.special_token_ids = tokens, special
        self.eos_token_id, self.bos_token_id = eos, None

    def __call__(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError("text only")  # the wrapper probes with bytes, then passes str
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)


def _token_bytes(tokenizer: Tokenizer, size: int) -> tuple[list[bytes], list[int]] | None:
    """Every id's bytes and the special ids, for byte-level BPE (GPT-2's byte alphabet) and
    SentencePiece (``▁`` for a space, ``<0xNN>`` for a byte); None for another kind of tokenizer,
    and for SentencePiece that prepends a space to the text, which llguidance must not do when
    it tokenizes the middle of a reply (from the file it drops that step of the tokenizer)."""
    import json
    import re

    def steps(part: Any) -> list[str]:
        config = json.loads(part.__getstate__()) if part is not None else {}
        return [c.get("type") for c in config.get("decoders", config.get("normalizers", [config]))]

    decoding = steps(tokenizer.decoder)
    sentencepiece = "ByteFallback" in decoding and set(decoding) <= {"Replace", "ByteFallback", "Fuse", "Strip"}
    if decoding == ["ByteLevel"]:
        alphabet = _byte_alphabet()
    elif not sentencepiece or "Prepend" in steps(tokenizer.normalizer):
        return None
    tokens = [b""] * size
    byte = re.compile(r"<0x([0-9A-Fa-f]{2})>")
    for piece, i in tokenizer.get_vocab(with_added_tokens=False).items():
        if i >= size:
            continue
        if decoding == ["ByteLevel"]:
            if any(c not in alphabet for c in piece):
                return None
            tokens[i] = bytes(alphabet[c] for c in piece)
        elif m := byte.fullmatch(piece):
            tokens[i] = bytes([int(m[1], 16)])
        else:
            tokens[i] = piece.replace("\u2581", " ").encode()
    special = []
    for i, added in tokenizer.get_added_tokens_decoder().items():
        if i < size:
            tokens[i] = added.content.encode()
            if added.special:
                special.append(i)
    return tokens, special


@functools.cache
def _byte_alphabet() -> dict[str, int]:
    """GPT-2's printable stand-in for each byte (byte-level BPE writes tokens in it)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    return {chr(b): b for b in printable} | {chr(256 + n): b for n, b in enumerate(others)}


def build_constraint(request: Generation, vocabulary: Vocabulary) -> GrammarConstraint | None:
    """The token mask for this generation, already advanced past an assistant pre-fill.

    Raises NotSupportedError for a feature the grammar can't express (naming it), SyntaxError for
    a constraint no output can satisfy, NotSupportedError for a pre-fill the constraint rejects.
    """
    if request.constraint is None and not request.tools:
        return None
    grammar = _grammar(request.constraint, request.tools)
    constraint = GrammarConstraint(grammar, vocabulary)
    if prefix := assistant_prefix(request.messages):
        constraint.prefill(prefix)
    return constraint


def check_constraint(constraint: JsonSchemaConstraint | RegexConstraint) -> None:
    """Refuse, before any model runs and whichever provider serves it, a constraint navllm cannot
    honour: pages get the errors the local engine would give (the browser itself checks a schema
    before its model sees it), not a provider's HTTP error or a reply that ignores the schema."""
    _grammar(constraint, [])


def assistant_prefix(messages: Sequence[Message]) -> str:
    """The assistant pre-fill the reply continues (``prefix: true`` on the last message), or ''."""
    last = messages[-1] if messages else None
    return last.text if last is not None and last.prefix and last.role == "assistant" else ""


class GrammarConstraint:
    """The sampler's ``TokenConstraint`` over one llguidance matcher."""

    def __init__(self, grammar: str, vocabulary: Vocabulary):
        import llguidance
        import numpy as np

        self.vocabulary = vocabulary
        self._matcher = llguidance.LLMatcher(vocabulary.tokenizer, grammar, log_level=0)
        if self._matcher.is_error():
            raise _translate(self._matcher.get_error(), "the response constraint")
        self._words = np.full((vocabulary.size + 31) // 32, -1, dtype=np.int32)
        if not self.mask(()).any():
            raise NavError(ErrorName.SYNTAX, "no output can satisfy the response constraint")

    def mask(self, tokens: Sequence[int] = ()) -> np.ndarray:
        """Allowed ids (bool, vocabulary-wide) for the next token; llguidance tracks the state."""
        import numpy as np

        self._matcher.unsafe_compute_mask_ptr(self._words.ctypes.data, self._words.nbytes)
        return np.unpackbits(self._words.view(np.uint8), count=self.vocabulary.size, bitorder="little").view(bool)

    def advance(self, token: int) -> None:
        if not self._matcher.consume_token(token):
            raise NavError(ErrorName.OPERATION, f"constrained decoding rejected token {token}: {self._matcher.get_error()}")

    def valid_prefix(self, tokens: Sequence[int]) -> int:
        """How many of ``tokens`` the grammar takes in a row from here; the matcher advances over
        them speculatively and rolls back, so its state is unchanged."""
        taken = self._matcher.try_consume_tokens(list(tokens))
        if taken and not self._matcher.rollback(taken):
            raise NavError(
                ErrorName.OPERATION, f"constrained decoding could not roll back {taken} drafted tokens: {self._matcher.get_error()}"
            )
        return taken

    def prefill(self, text: str) -> None:
        tokens = self.vocabulary.tokenizer.tokenize_str(text)
        if self._matcher.try_consume_tokens(tokens) != len(tokens):
            raise NavError(ErrorName.NOT_SUPPORTED, "the assistant prefix contradicts the response constraint")


def _grammar(constraint: JsonSchemaConstraint | RegexConstraint | None, tools: list[ToolSpec]) -> str:
    import llguidance

    what = "the response constraint"
    regex = js_regex_to_rust(constraint.pattern, constraint.flags) if isinstance(constraint, RegexConstraint) else None
    schema = _prepared(constraint.schema_, what) if isinstance(constraint, JsonSchemaConstraint) else None
    if not tools:
        if regex is not None:
            return _checked(llguidance.LLMatcher.grammar_from_regex(regex), what)
        assert schema is not None  # build_constraint asks for a grammar only with a constraint or tools
        return _json_grammar(schema, what)
    answer = None
    if regex is not None:
        answer = "/" + llguidance.regex_to_lark(regex, "") + "/"
    elif schema is not None:
        _json_grammar(schema, what)  # checked alone first, so an error names the constraint
        answer = _json_rule(schema)
    rules = []
    for tool in tools:
        what = f"the inputSchema of tool {tool.name!r}"
        call = call_schema(tool, _prepared(tool.input_schema, what))
        _json_grammar(call, what)
        rules.append(_json_rule(call))
    return _checked(llguidance.LLMatcher.grammar_from_lark(calls_grammar(rules, answer)), "the tool-call grammar")


@overload
def _prepared(schema: dict[str, Any], what: str) -> dict[str, Any]: ...
@overload
def _prepared(schema: dict[str, Any] | bool, what: str) -> dict[str, Any] | Literal[True]: ...
def _prepared(schema: dict[str, Any] | bool, what: str) -> dict[str, Any] | Literal[True]:
    """The page's schema checked for what we refuse, without llguidance's own option key."""
    if isinstance(schema, bool):
        if not schema:
            raise NavError(ErrorName.SYNTAX, f"{what} is the schema false, which nothing satisfies")
        return True
    check_refs(schema, what)
    return {k: v for k, v in schema.items() if k != "x-guidance"}


def _json_grammar(schema: dict[str, Any] | Literal[True], what: str) -> str:
    import llguidance

    # The schema true allows any JSON, as {} does (llguidance takes only an object, to apply its options to).
    return _checked(llguidance.LLMatcher.grammar_from_json_schema({} if schema is True else schema, overrides=JSON_OPTIONS), what)


def _json_rule(schema: dict[str, Any] | Literal[True]) -> str:
    body = {"x-guidance": JSON_OPTIONS} if schema is True else {**schema, "x-guidance": JSON_OPTIONS}
    return "%json " + json.dumps(body)


def _checked(grammar: str, what: str) -> str:
    import llguidance

    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar)
    if is_error:
        raise _translate(messages[0], what)
    return grammar


def _translate(error: str, what: str) -> NavError:
    """llguidance's compile error as the Prompt API error: unsatisfiable → SyntaxError, else
    NotSupportedError naming the feature."""
    first = error.strip().splitlines()[0] if error.strip() else "unknown error"
    if "Unsatisfiable schema:" in first:
        reason = first.split("Unsatisfiable schema:", 1)[1].strip()
        return NavError(ErrorName.SYNTAX, f"no output can satisfy {what}: {reason}")
    if "Unimplemented keys:" in first:
        keys = first.split("Unimplemented keys:", 1)[1].strip()
        return NavError(ErrorName.NOT_SUPPORTED, f"{what} uses JSON Schema keywords that are not supported: {keys}")
    if "Unknown format:" in first:
        fmt = first.split("Unknown format:", 1)[1].strip()
        return NavError(ErrorName.NOT_SUPPORTED, f"{what} uses the string format {fmt!r}, which is not supported")
    if "oneOf constraints are not supported" in first:
        return NavError(ErrorName.NOT_SUPPORTED, f"{what} uses oneOf with branches that may overlap, which is not supported; use anyOf")
    return NavError(ErrorName.NOT_SUPPORTED, f"{what} is not supported: {first[:300]}")
