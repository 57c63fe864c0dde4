"""Whose turn it is: round-robin over origins, then over each origin's generations.

The engine's worker asks, every round, which of the generations ready to decode share the next
forward (at most ``pool.ROWS`` of them) and whose prefill chunk comes next. Origins are served in
order of how little they have been served, one generation each before any gets a second row, so a
site with many tabs decoding takes the rows the others leave, never theirs.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol, TypeVar


class Turn(Protocol):
    @property
    def origin(self) -> Hashable: ...


T = TypeVar("T", bound=Turn)


class Turns:
    def __init__(self) -> None:
        self._served: dict[Hashable, int] = {}  # origin → turns taken while it had generations waiting
        self._taken: dict[int, int] = {}  # id of a generation → turns it took

    def pick(self, waiting: Sequence[T], count: int) -> list[T]:
        """At most ``count`` of ``waiting`` (in arrival order): the least served origins first, one
        generation each per pass, each origin's least served generation first."""
        by_origin: dict[Hashable, list[T]] = {}
        for item in waiting:
            by_origin.setdefault(item.origin, []).append(item)
        for items in by_origin.values():
            items.sort(key=lambda item: self._taken.get(id(item), 0))  # stable: arrival order breaks ties
        origins = sorted(by_origin, key=lambda origin: self._served.get(origin, 0))
        picked: list[T] = []
        depth = 0
        while len(picked) < count and any(depth < len(items) for items in by_origin.values()):
            picked += [by_origin[o][depth] for o in origins if depth < len(by_origin[o])][: count - len(picked)]
            depth += 1
        for item in picked:
            self._served[item.origin] = self._served.get(item.origin, 0) + 1
            self._taken[id(item)] = self._taken.get(id(item), 0) + 1
        return picked

    def keep_only(self, live: Sequence[Turn]) -> None:
        """Forget generations and origins that have none left (a later one starts afresh)."""
        origins = {item.origin for item in live}
        ids = {id(item) for item in live}
        self._served = {o: n for o, n in self._served.items() if o in origins}
        self._taken = {i: n for i, n in self._taken.items() if i in ids}
