"""Prompt-lookup drafting: guess the next tokens by copying what followed the last few tokens
the previous time they appeared in the prompt or the reply so far.

Summaries, rewrites and extractions repeat long runs of their input, so the guess is often
right; the engine checks every guess against the model in one forward pass (see ``engine``),
so a wrong guess costs a little time and never changes the output.
"""

from __future__ import annotations

# Longest and shortest n-grams matched (the longest match found wins), and the most tokens
# drafted at once: measured with ``navllm bench speculative`` (docs/benchmarks.md).
LONGEST_NGRAM = 3
SHORTEST_NGRAM = 2
MAX_DRAFT = 8


class PromptLookup:
    """Drafts over a growing token history; ``size`` shrinks after a rejection and grows after
    a draft accepted whole. A draft rejected from its first token pauses drafting (size 0): guesses
    are then only checked against the tokens that follow, at no cost, and the first right one
    resumes drafting, so free writing that rarely repeats its input pays almost nothing."""

    def __init__(self, tokens: list[int]):
        self._tokens = list(tokens)
        # Per n: the n-gram → the position right after its latest occurrence.
        self._follows: dict[int, dict[tuple[int, ...], int]] = {n: {} for n in range(SHORTEST_NGRAM, LONGEST_NGRAM + 1)}
        self._indexed = 0  # n-grams ending before this position are in ``_follows``
        self.size = MAX_DRAFT
        self._unverified: int | None = None  # the first token guessed while paused

    def push(self, token: int) -> None:
        if self._unverified is not None and token == self._unverified:
            self.size = 1
        self._unverified = None
        self._tokens.append(token)

    def draft(self, limit: int) -> list[int]:
        """Up to ``min(limit, size)`` tokens that followed the longest earlier match of the history's tail."""
        tokens = self._tokens
        # Index every n-gram but the tail's own occurrence, which has nothing after it yet.
        for end in range(self._indexed, len(tokens) - 1):
            for n, follows in self._follows.items():
                if end + 1 >= n:
                    follows[tuple(tokens[end + 1 - n : end + 1])] = end + 1
        self._indexed = max(self._indexed, len(tokens) - 1)
        if limit <= 0:
            return []
        for n in range(LONGEST_NGRAM, SHORTEST_NGRAM - 1, -1):
            start = self._follows[n].get(tuple(tokens[-n:])) if len(tokens) >= n else None
            if start is not None:
                if self.size == 0:
                    self._unverified = tokens[start]
                return tokens[start : start + min(limit, self.size)]
        return []

    def verified(self, drafted: int, accepted: int) -> None:
        """Adapt the draft size to how much of the last draft the model kept."""
        self.size = min(MAX_DRAFT, 2 * self.size) if accepted == drafted else accepted + 1 if accepted else 0
