"""Choosing the next token from the logits: greedy, temperature, top-k, top-p, seed, repetition penalty.

Constrained decoding (JSON Schema, regex, tool calls) plugs in through ``TokenConstraint``
without touching the generation loop: before each token the engine asks the constraint for a
mask of allowed ids, and after choosing one it reports the choice back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class TokenConstraint(Protocol):
    """A logits processor driven by the tokens generated so far.

    ``mask`` returns a bool array over the vocabulary (True = allowed) or None when every token
    is allowed at this step; ``advance`` is called with each token the sampler picked (in order,
    exactly once). The engine stops when the constraint allows only end-of-sequence ids.
    ``valid_prefix`` tells how many of some drafted tokens would be allowed one after the other
    from the current state, leaving the state as it was (the engine drafts no further than that).
    """

    def mask(self, tokens: Sequence[int]) -> np.ndarray | None: ...

    def advance(self, token: int) -> None: ...

    def valid_prefix(self, tokens: Sequence[int]) -> int: ...


@dataclass(frozen=True)
class SamplerConfig:
    """Resolved sampling parameters (the page's values with the provider's defaults filled in)."""

    temperature: float = 0.0
    top_k: int | None = None
    top_p: float | None = None
    seed: int | None = None
    repetition_penalty: float | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0 or self.top_k == 1


class Sampler:
    def __init__(self, config: SamplerConfig):
        import numpy as np

        self.config = config
        self._rng = np.random.default_rng(config.seed)

    def sample(self, logits: np.ndarray, previous: Sequence[int] = (), allowed: np.ndarray | None = None) -> int:
        """Pick a token id from 1-D ``logits``; ``previous`` feeds the repetition penalty."""
        import numpy as np

        if self.config.greedy:
            return int(np.argmax(self._scores(logits, previous, allowed)))
        candidates, probs = self.distribution(logits, previous, allowed)
        return int(candidates[self._rng.choice(len(candidates), p=probs)])

    def verify(self, logits: np.ndarray, draft: int, previous: Sequence[int] = (), allowed: np.ndarray | None = None) -> int:
        """The token at a position where ``draft`` was guessed: greedy, the argmax; sampled, the
        speculative rejection rule for a deterministic guess — keep ``draft`` with its probability
        p(draft), else sample from p without it — so tokens follow exactly ``sample``'s distribution."""
        import numpy as np

        if self.config.greedy:
            return self.sample(logits, previous, allowed)
        candidates, probs = self.distribution(logits, previous, allowed)
        guessed = candidates == draft
        if self._rng.random() < probs[guessed].sum():
            return draft
        rest = np.where(guessed, 0.0, probs)
        if rest.sum() <= 0.0:  # p(draft) rounds to 1 yet the draw missed it: nothing else to pick
            return draft
        return int(candidates[self._rng.choice(len(candidates), p=rest / rest.sum())])

    def distribution(
        self, logits: np.ndarray, previous: Sequence[int] = (), allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ids a sampled pick chooses from and their probabilities (temperature, top-k, top-p)."""
        config = self.config
        scores = self._scores(logits, previous, allowed)
        candidates = self._top_k(scores, config.top_k)
        probs = _softmax(scores[candidates] / config.temperature)
        if config.top_p is not None and config.top_p < 1.0:
            candidates, probs = _top_p(candidates, probs, config.top_p)
        return candidates, probs

    def _scores(self, logits: np.ndarray, previous: Sequence[int], allowed: np.ndarray | None) -> np.ndarray:
        """``logits`` with the repetition penalty over ``previous`` and the constraint's mask applied."""
        import numpy as np

        config = self.config
        scores = logits.astype(np.float32, copy=True)
        if config.repetition_penalty not in (None, 1.0) and len(previous):
            seen = np.unique(np.asarray(previous, dtype=np.int64))
            # The CTRL/transformers rule: shrink positive logits, push negative ones further down.
            values = scores[seen]
            scores[seen] = np.where(values > 0, values / config.repetition_penalty, values * config.repetition_penalty)
        if allowed is not None:
            if not allowed.any():
                raise ValueError("the constraint allows no token")
            scores[~allowed] = -np.inf
        return scores

    @staticmethod
    def _top_k(scores: np.ndarray, k: int | None) -> np.ndarray:
        import numpy as np

        finite = int(np.isfinite(scores).sum())
        k = finite if k is None else min(k, finite)
        if k >= scores.size:
            return np.flatnonzero(np.isfinite(scores))
        return np.argpartition(-scores, k - 1)[:k]


def _softmax(x: np.ndarray) -> np.ndarray:
    import numpy as np

    e = np.exp(x - x.max())
    probs: np.ndarray = e / e.sum()
    return probs


def _top_p(candidates: np.ndarray, probs: np.ndarray, top_p: float) -> tuple[np.ndarray, np.ndarray]:
    """Keep the smallest set of most likely tokens whose mass reaches ``top_p``."""
    import numpy as np

    order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    keep = order[: int(np.searchsorted(cumulative, top_p)) + 1]
    kept = probs[keep]
    return candidates[keep], kept / kept.sum()
