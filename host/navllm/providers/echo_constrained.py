"""The echo backend's reply when a page passes a ``responseConstraint``.

A constrained reply must match the page's JSON Schema or RegExp, so the echo alone (preamble
and input) will rarely do. The reply is built byte by byte under the same llguidance grammar
the local engine decodes with, over a vocabulary of the 256 bytes: it follows the echo for as
long as the grammar allows it, then takes the plainest byte the grammar allows (closing quotes
and brackets first, so strings, arrays and objects end soon; whitespace last), and stops as
soon as the reply is complete (trying each byte on the grammar: one that lets it end, else
one that leaves a repetition, else the one that has least often followed the byte before). It is deterministic, valid by construction, and an assistant
pre-fill the constraint rejects is refused with NotSupportedError, as on the local model.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from typing import TYPE_CHECKING

from ..protocol.errors import ErrorName, NavError
from .base import Generation
from .local.constrain import GrammarConstraint, Vocabulary, build_constraint

if TYPE_CHECKING:
    import numpy as np

END = 256  # the end-of-sequence id, right after the byte ids
MAX_BYTES = 4096
# Bytes that finish what is open (a string, array, object, group) come first, then filler that
# satisfies most character classes, letters before digits and punctuation; whitespace last.
PREFERRED = b'"]}),:0a'
PLAIN = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ORDER: list[int] = list(dict.fromkeys([*PREFERRED, *PLAIN, *range(0x21, 0x7F), *range(0x80, 0x100), *range(0x21)]))


@functools.cache
def byte_vocabulary() -> Vocabulary:
    import llguidance

    # One token per byte, as a tiktoken vocabulary (llguidance's stub omits this constructor).
    tokenizer = llguidance.LLTokenizer.from_tiktoken(  # type: ignore[attr-defined]
        encoder={bytes([b]): b for b in range(256)}, special_tokens={"<end>": END}, pattern=r"(?s:.)", eos_token=END
    )
    return Vocabulary(tokenizer, END + 1, (END,))


def constrained_reply(request: Generation, echo: str) -> str:
    """The reply to ``request`` (which has a constraint) that matches it, echoing ``echo`` as far
    as the constraint allows; raises NavError for a constraint or pre-fill nothing can follow."""
    # Tool calls are the echo's own affair (its triggers); the reply text answers the constraint.
    grammar = build_constraint(dataclasses.replace(request, tools=[]), byte_vocabulary())
    assert grammar is not None  # the request has a constraint
    source = echo.encode()
    out = bytearray()
    echoing = True
    used: Counter[object] = Counter()  # bytes chosen, and pairs (previous byte, byte)
    while len(out) < MAX_BYTES:
        allowed = grammar.mask()
        last = out[-1] if out else END
        follow = source[len(out)] if echoing and len(out) < len(source) else None
        if follow is not None and allowed[follow]:
            chosen = follow
        else:
            echoing = False
            if allowed[END]:
                return out.decode(errors="replace")
            chosen = _plainest(grammar, allowed, last, used)
        grammar.advance(chosen)
        out.append(chosen)
        used[chosen] += 1
        used[last, chosen] += 1
    raise NavError(
        ErrorName.NOT_SUPPORTED,
        f"the echo backend found no reply of at most {MAX_BYTES} bytes that matches the response constraint; "
        "use a model, or a constraint that allows a shorter reply",
    )


def _plainest(grammar: GrammarConstraint, allowed: np.ndarray, last: int, used: Counter[object]) -> int:
    """The first allowed byte (in ORDER) after which the reply may end; else the first ASCII one
    that cannot follow itself (leaving a repetition such as ``\\w+`` behind); else the one that
    has followed ``last`` least often, then used least: a repetition whose way out is a byte it
    also allows (``[a-z.]+\\.[a-z]{2}``) still meets it, and each time with something new after
    it. Each is tried on the grammar and rolled back."""
    candidates: list[int] = [b for b in ORDER if allowed[b]]
    if not candidates:  # the grammar asks for more but allows no byte: the local engine's OperationError
        raise NavError(ErrorName.OPERATION, "the response constraint allows neither a next byte nor the end")
    for byte in candidates:
        if grammar.valid_prefix([byte, END]) == 2:
            return byte
    for byte in candidates:
        if byte < 0x80 and grammar.valid_prefix([byte, byte]) < 2:
            return byte
    return min(candidates, key=lambda b: (used[last, b], used[b]))  # min keeps the first of equals
