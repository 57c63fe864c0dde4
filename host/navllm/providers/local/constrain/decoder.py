"""One constrained generation on the local model: the token mask for the sampler, and the
reading of the generated text into reply chunks (text and ``ToolCallPart``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...base import Chunk, Generation
from .token_mask import GrammarConstraint, Vocabulary, assistant_prefix, build_constraint
from .tool_calls import ToolCallSplitter

if TYPE_CHECKING:
    from ..runtime import LoadedModel


def decoder(request: Generation, model: LoadedModel) -> LocalDecoder:
    vocabulary = Vocabulary.of(model)
    splitter = ToolCallSplitter(prefix=assistant_prefix(request.messages)) if request.tools else None
    return LocalDecoder(build_constraint(request, vocabulary), splitter)


class LocalDecoder:
    """What one constrained generation needs: the mask (None when nothing constrains the tokens)
    and the reading of the reply into chunks."""

    def __init__(self, constraint: GrammarConstraint | None, splitter: ToolCallSplitter | None):
        self.constraint = constraint
        self._splitter = splitter

    def feed(self, text: str) -> list[Chunk]:
        return list(self._splitter.feed(text)) if self._splitter else [text]

    def end(self) -> list[Chunk]:
        return list(self._splitter.finish()) if self._splitter else []
