"""One conversation's KV cache: a preallocated buffer per layer for keys and one for values.

The graph's GroupQueryAttention runs in shared-buffer mode: the same buffer is bound as both
``past_key_values.{i}`` and ``present.{i}``, so each step writes its new positions in place
and nothing is copied per token. ``tokens`` are the ids whose keys/values the buffers hold;
positions past ``len(tokens)`` are stale and ignored (the attention mask bounds what is read),
which makes truncating to a prefix free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_STEP = 256  # capacity grows in these steps, so short chats stay small in memory


@dataclass(frozen=True)
class CacheShape:
    layers: int
    kv_heads: int
    head_dim: int
    limit: int  # the most positions a conversation may ever hold


class KVCache:
    def __init__(self, shape: CacheShape, capacity: int = _STEP):
        self.shape = shape
        self.tokens: list[int] = []
        self.keys: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.generation = 0  # bumped whenever the buffers are replaced, so bindings know to rebind
        self._allocate(min(capacity, shape.limit))

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[2] if self.keys else 0

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def nbytes(self) -> int:
        """Memory the buffers hold now."""
        return self.bytes_for(self.capacity)

    def bytes_for(self, positions: int) -> int:
        s = self.shape
        return 2 * s.layers * s.kv_heads * s.head_dim * 4 * positions  # keys and values, float32

    def _allocate(self, capacity: int) -> None:
        import numpy as np

        s = self.shape
        dims = (1, s.kv_heads, capacity, s.head_dim)
        keys = [np.zeros(dims, dtype=np.float32) for _ in range(s.layers)]
        values = [np.zeros(dims, dtype=np.float32) for _ in range(s.layers)]
        n = len(self.tokens)
        for new, old in zip((*keys, *values), (*self.keys, *self.values), strict=False):
            new[:, :, :n] = old[:, :, :n]
        self.keys, self.values = keys, values
        self.generation += 1

    def reserve(self, total: int) -> None:
        """Make room for ``total`` positions (grows in steps, never past the limit)."""
        if total > self.shape.limit:
            raise ValueError(f"{total} positions exceed the cache limit of {self.shape.limit}")
        if total > self.capacity:
            self._allocate(grown_capacity(total, self.capacity, self.shape.limit))

    def truncate(self, length: int) -> None:
        """Keep only the first ``length`` positions."""
        del self.tokens[length:]

    def release(self) -> None:
        """Drop every position and the memory behind them (the cache grows again if used)."""
        self.tokens.clear()
        self._allocate(0)

    def copy(self) -> KVCache:
        """An independent cache holding the same positions (only the used part is copied)."""
        clone = KVCache(self.shape, capacity=self.capacity)
        clone.tokens = list(self.tokens)
        n = len(self.tokens)
        for new, old in zip((*clone.keys, *clone.values), (*self.keys, *self.values), strict=True):
            new[:, :, :n] = old[:, :, :n]
        return clone


def grown_capacity(total: int, capacity: int, limit: int) -> int:
    """The capacity to grow to for ``total`` positions: at least double, in whole steps, at most ``limit``."""
    return min(limit, -(-max(total, 2 * capacity) // _STEP) * _STEP)
