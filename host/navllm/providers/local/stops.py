"""Stop sequences over streamed text: hold back any tail that could still become a stop sequence."""

from __future__ import annotations


class StopMatcher:
    def __init__(self, stops: list[str]):
        self._stops = [s for s in stops if s]
        self._pending = ""
        self.stopped = False

    def push(self, text: str) -> str:
        """Add decoded text; return what is safe to emit. Sets ``stopped`` once a stop sequence appears."""
        if self.stopped:
            return ""
        self._pending += text
        hits = [i for i in (self._pending.find(s) for s in self._stops) if i >= 0]
        if hits:
            self.stopped = True
            out, self._pending = self._pending[: min(hits)], ""
            return out
        keep = self._held_back()
        out = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(out) :]
        return out

    def flush(self) -> str:
        out, self._pending = ("" if self.stopped else self._pending), ""
        return out

    def _held_back(self) -> int:
        """Length of the longest tail of the pending text that is a proper prefix of a stop sequence."""
        pending = self._pending
        for size in range(min(len(pending), max((len(s) for s in self._stops), default=1) - 1), 0, -1):
            tail = pending[-size:]
            if any(s.startswith(tail) for s in self._stops):
                return size
        return 0
