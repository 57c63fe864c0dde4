"""Bridge the blocking frame reader into asyncio (a thread works on every OS, Windows included)."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .framing import EndOfStream, FrameReader, FramingError


@dataclass(frozen=True)
class Closed:
    """Delivered last, when input ends; ``error`` is set when the stream was malformed."""

    error: str | None = None


def start_reader(reader: FrameReader, loop: asyncio.AbstractEventLoop, deliver: Callable[[bytes | Closed], None]) -> None:
    """Read frames on a thread and call ``deliver`` with each body, in order, on the loop.

    Frames wait in a backlog; the thread wakes the loop only when the backlog was empty, so a
    burst of frames costs one wake-up and each frame skips a queue and a coroutine switch.
    """
    backlog: deque[bytes | Closed] = deque()

    def drain() -> None:
        while backlog:
            deliver(backlog.popleft())

    def hand_over(item: bytes | Closed) -> None:
        backlog.append(item)
        if len(backlog) == 1:  # otherwise a drain already scheduled (or running) will take it
            loop.call_soon_threadsafe(drain)

    def next_item() -> bytes | Closed:
        try:
            return reader.read_frame()
        except EndOfStream:
            return Closed()
        except (FramingError, OSError) as exc:
            return Closed(str(exc))

    def pump() -> None:
        item = None
        while not isinstance(item, Closed):
            item = next_item()
            try:
                hand_over(item)
            except RuntimeError:
                return  # the loop has closed: the host stopped on its own and nobody is listening

    threading.Thread(target=pump, name="navllm-reader", daemon=True).start()
