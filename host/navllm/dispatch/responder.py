"""What a handler uses to talk back while it works: deltas, progress, events."""

from __future__ import annotations

from collections.abc import Callable

from ..protocol.common import ToolCallPart
from ..protocol.replies import Chunk, Event, Progress, Reply


class Responder:
    def __init__(self, request_id: str, send: Callable[[Reply], None]):
        self.id = request_id
        self._send = send
        self._progress = -1.0

    def delta(self, text: str) -> None:
        self._send(Chunk(id=self.id, delta=text))  # however long: the wire splits big replies into parts

    def tool_call(self, call: ToolCallPart) -> None:
        self._send(Chunk(id=self.id, tool_call=call))

    def progress(self, loaded: float) -> None:
        """Report progress in [0, 1]; values are clamped and only ever increase."""
        loaded = min(1.0, max(0.0, loaded))
        if loaded > self._progress or (loaded == 0.0 and self._progress < 0):
            self._progress = loaded
            self._send(Progress(id=self.id, loaded=loaded))

    def event(self, name: str) -> None:
        self._send(Event(id=self.id, name=name))  # type: ignore[arg-type]
