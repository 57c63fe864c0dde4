"""Streaming detokenization: turn token ids into text deltas without ever splitting a character.

A UTF-8 character can span several tokens (byte-level BPE pieces, ``<0xNN>`` byte-fallback
tokens), and some decoders change earlier text once more tokens arrive (a leading-space strip).
So each step decodes a short window of recent tokens and only emits text once the window no
longer ends in an incomplete character (decoded as U+FFFD).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

_INCOMPLETE = "\ufffd"


class Detokenizer:
    def __init__(self, tokenizer: Tokenizer):
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._prefix = 0  # start of the decoding window (context for decoders that look back)
        self._read = 0  # tokens already emitted as text

    def push(self, token: int) -> str:
        """Add one token; return the text that is now final (possibly empty)."""
        self._ids.append(token)
        return self._advance(final=False)

    def flush(self) -> str:
        """Everything still held back (an unfinished character comes out as U+FFFD)."""
        return self._advance(final=True)

    def _advance(self, final: bool) -> str:
        decode = self._tokenizer.decode
        before = decode(self._ids[self._prefix : self._read], skip_special_tokens=True)
        after = decode(self._ids[self._prefix :], skip_special_tokens=True)
        if not final and (after.endswith(_INCOMPLETE) or len(after) <= len(before) or not after.startswith(before)):
            return ""
        self._prefix, self._read = self._read, len(self._ids)
        return after[len(before) :] if after.startswith(before) else after
