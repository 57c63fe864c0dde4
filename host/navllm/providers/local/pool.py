"""Several conversations' next tokens in one forward: rows of keys and values beside their caches.

A 4-bit matmul costs about the same for a few rows as for one, so while several conversations
decode, the engine feeds each one's next token as one row of a single forward. The graph's
GroupQueryAttention reads each row's length from its row of the attention mask (right padding:
``len + 1`` ones, then zeros) and writes the row's new position there, so rows of different
lengths share the forward and each gets the logits it would get alone.

The rows live in a pool per engine, ``[ROWS, kv_heads, capacity, head_dim]`` per layer, apart from
the conversations' own caches, which stay what every other part reads (prefill, drafting, cloning,
the memory budget): a conversation taking a row has its cached positions copied in once, and after
each step its one new position is copied back into its cache, so leaving the batch costs nothing.
A row in the forward's range whose conversation is not in this step is fed a dummy token at its
length: only positions from there on are written, and its cached ones stay as they were.

The pool holds the rows' positions a second time while batching lasts; it counts in the memory
budget (as a holder that is always busy) and the engine releases it when batching ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .kv_cache import KVCache, grown_capacity
from .runtime import LOGITS_TO_KEEP

if TYPE_CHECKING:
    import numpy as np

    from .runtime import LoadedModel

ROWS = 4  # conversations decoded in one forward at most: ~3x the tokens per second of one on SmolLM2


@dataclass
class _Row:
    owner: object | None = None
    length: int = 0  # positions of the owner's cache the row holds


class BatchPool:
    def __init__(self, model: LoadedModel):
        import numpy as np
        import onnxruntime as ort

        self._model = model
        self._ort = ort
        self._rows = [_Row() for _ in range(ROWS)]
        self._keys: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._io = model.session.io_binding()
        self._logits = np.zeros((ROWS, 1, model.info.vocab_size), dtype=np.float32)
        self._bound = 0  # rows whose buffers the binding holds (0: bind again)
        # Never terminated: a cancelled generation leaves at the next step, the others' forward runs on.
        self._run_options = ort.RunOptions()
        if model.verifies_drafts:
            self._io.bind_cpu_input(LOGITS_TO_KEEP, np.array([1], dtype=np.int64))

    @property
    def capacity(self) -> int:
        keys = self._keys  # also read by the budget on the event loop's thread
        return keys[0].shape[2] if keys else 0

    @property
    def memory_bytes(self) -> int:
        s = self._model.info
        return 2 * s.layers * ROWS * s.kv_heads * s.head_dim * 4 * self.capacity

    @property
    def busy(self) -> bool:
        return True  # never dropped by the budget: the engine releases it when batching ends

    def drop_cache(self) -> None:
        self.release()

    def release(self) -> None:
        """Free the rows' memory (the pool grows again when batching resumes)."""
        if not self._keys:
            return
        self._keys, self._values = [], []
        self._rows = [_Row() for _ in range(ROWS)]
        self._bound = 0

    def forget(self, owner: object) -> None:
        """``owner``'s cache changed outside the pool: its row no longer mirrors it."""
        for row in self._rows:
            if row.owner is owner:
                row.owner, row.length = None, 0

    def step(self, members: Sequence[tuple[object, KVCache, int]]) -> np.ndarray:
        """Feed each ``(owner, cache, token)``'s token after its cached positions in one forward,
        append it to each cache, and return the logits: [len(members), vocab], in members' order."""
        import numpy as np

        if not 1 <= len(members) <= ROWS:
            raise ValueError(f"a batch holds 1 to {ROWS} conversations, not {len(members)}")
        at = self._seat(members)
        width = max(at) + 1
        lengths = [row.length for row in self._rows[:width]]
        self._grow(max(lengths) + 1)
        ids = np.zeros((width, 1), dtype=np.int64)  # rows not in this step decode token 0 at their length
        for i, (_, _, token) in zip(at, members, strict=True):
            ids[i, 0] = token
        mask = (np.arange(max(lengths) + 1) <= np.array(lengths)[:, None]).astype(np.int64)
        self._bind(width)
        io = self._io
        io.bind_cpu_input("input_ids", ids)
        io.bind_cpu_input("attention_mask", mask)
        try:
            self._model.session.run_with_iobinding(io, self._run_options)
        except Exception:
            for owner, _, _ in members:
                self.forget(owner)
            raise
        for i, (_, cache, token) in zip(at, members, strict=True):
            n = len(cache)
            cache.reserve(n + 1)
            for mine, pooled in zip((*cache.keys, *cache.values), (*self._keys, *self._values), strict=True):
                mine[0, :, n] = pooled[i, :, n]
            cache.tokens.append(token)
            self._rows[i].length = n + 1
        self._model.forwarded += len(members)
        rows: np.ndarray = self._logits[at, 0]
        return rows

    def _seat(self, members: Sequence[tuple[object, KVCache, int]]) -> list[int]:
        """Each member's row: the one mirroring its cache, else a free one (its positions copied in)."""
        owners = {id(owner): len(cache) for owner, cache, _ in members}
        for row in self._rows:
            if row.owner is not None and owners.get(id(row.owner), row.length) != row.length:
                row.owner, row.length = None, 0  # its cache moved on alone: copy it in afresh
        held = {id(row.owner): i for i, row in enumerate(self._rows) if row.owner is not None}
        taken = {held[id(owner)] for owner, _, _ in members if id(owner) in held}
        # Empty rows first, then rows of conversations not in this step (lowest first, to keep the forward narrow).
        free = sorted((i for i in range(ROWS) if i not in taken), key=lambda i: (self._rows[i].owner is not None, i))
        at = []
        for owner, cache, _ in members:
            if id(owner) in held:
                at.append(held[id(owner)])
                continue
            i = free.pop(0)
            n = len(cache)
            self._grow(n + 1)
            for mine, pooled in zip((*cache.keys, *cache.values), (*self._keys, *self._values), strict=True):
                pooled[i, :, :n] = mine[0, :, :n]
            self._rows[i] = _Row(owner, n)
            at.append(i)
        return at

    def _grow(self, positions: int) -> None:
        import numpy as np

        if positions <= self.capacity:
            return
        info = self._model.info
        capacity = grown_capacity(positions, self.capacity, info.context_length)
        dims = (ROWS, info.kv_heads, capacity, info.head_dim)
        old = self.capacity
        fresh = [np.zeros(dims, dtype=np.float32) for _ in range(2 * info.layers)]
        for new, kept in zip(fresh, (*self._keys, *self._values), strict=False):
            new[:, :, :old] = kept
        self._keys, self._values = fresh[: info.layers], fresh[info.layers :]
        self._bound = 0

    def _bind(self, width: int) -> None:
        if width == self._bound:
            return
        from_numpy = self._ort.OrtValue.ortvalue_from_numpy
        io = self._io
        for i, (k, v) in enumerate(zip(self._keys, self._values, strict=True)):
            key, value = from_numpy(k[:width]), from_numpy(v[:width])
            io.bind_ortvalue_input(f"past_key_values.{i}.key", key)
            io.bind_ortvalue_input(f"past_key_values.{i}.value", value)
            io.bind_ortvalue_output(f"present.{i}.key", key)
            io.bind_ortvalue_output(f"present.{i}.value", value)
        io.bind_ortvalue_output("logits", from_numpy(self._logits[:width]))
        self._bound = width
