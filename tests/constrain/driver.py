"""Drives a token constraint with seeded random logits, as a model would, but with no model.

For ``budget`` steps every allowed token is equally likely to win; after that, tokens made only
of closing characters (``"``, ``}``, ``]``, and the ``@`` and ``.`` an email or a
number needs to finish) and end-of-sequence get a head start so that random
walks through unbounded strings and arrays end. The constraint alone decides what is allowed,
so every finished output must satisfy the grammar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Outcome:
    text: str
    finished: bool  # ended on end-of-sequence (not cut off at the cap)
    tokens: list[int]
    mask_seconds: list[float] = field(default_factory=list)  # CPU time of each mask (this thread)


class RandomDriver:
    def __init__(self, vocabulary, budget: int = 48, cap: int = 800):
        self.vocabulary = vocabulary
        self.budget = budget
        self.cap = cap
        tok = vocabulary.tokenizer
        closing = [i for i in range(vocabulary.size) if (b := tok.decode_bytes([i])) and set(b) <= set(b'"}]@.')]
        self.closers = np.array(closing + list(vocabulary.eos_ids))

    def run(self, constraint, seed: int) -> Outcome:
        rng = np.random.default_rng(seed)
        tokens: list[int] = []
        timings: list[float] = []
        for step in range(self.cap):
            # CPU time, not wall time: on a shared machine the wall clock mostly measures waiting.
            start = time.thread_time()
            allowed = constraint.mask(tokens)
            timings.append(time.thread_time() - start)
            logits = rng.standard_normal(self.vocabulary.size, dtype=np.float32)
            if step >= self.budget:
                logits[self.closers] += 6.0
            logits[~allowed] = -np.inf
            token = int(np.argmax(logits))
            assert allowed[token]
            if token in self.vocabulary.eos_ids:
                return Outcome(self.vocabulary.tokenizer.decode_str(tokens), True, tokens, timings)
            constraint.advance(token)
            tokens.append(token)
        return Outcome(self.vocabulary.tokenizer.decode_str(tokens), False, tokens, timings)
