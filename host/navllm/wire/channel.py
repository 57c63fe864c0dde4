"""Bridge the blocking frame reader into asyncio (a thread works on every OS, Windows included)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .framing import EndOfStream, FrameReader, FramingError, Oversized

log = logging.getLogger(__name__)

BACKLOG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Closed:
    """Delivered last, when input ends; ``error`` is set when the stream was malformed."""

    error: str | None = None


Item = bytes | Oversized | Closed


def start_reader(
    reader: FrameReader,
    loop: asyncio.AbstractEventLoop,
    deliver: Callable[[Item], None],
    on_end: Callable[[Closed], None] | None = None,
) -> None:
    """Read frames on a thread and call ``deliver`` with each body (or ``Oversized``), in order,
    on the loop. ``on_end`` runs on the reader thread when input ends, even if the loop is stuck.

    Frames wait in a backlog; the thread wakes the loop only when the backlog was empty, so a
    burst of frames costs one wake-up and each frame skips a queue and a coroutine switch. Past
    BACKLOG_BYTES the thread stops reading until the loop catches up: a flood waits in the
    browser's pipe, not in our memory.
    """
    backlog: deque[Item] = deque()
    room = threading.Condition()
    queued = 0  # bytes in the backlog, under ``room``

    def drain() -> None:
        nonlocal queued
        while backlog:
            item = backlog.popleft()
            with room:
                queued -= _size(item)
                room.notify()
            try:
                deliver(item)
            except Exception:  # one bad frame must not strand the frames (or the end) queued behind it
                log.exception("delivering a frame failed")

    def hand_over(item: Item) -> None:
        nonlocal queued
        with room:
            room.wait_for(lambda: queued < BACKLOG_BYTES)
            queued += _size(item)
        backlog.append(item)
        if len(backlog) == 1:  # otherwise a drain already scheduled (or running) will take it
            loop.call_soon_threadsafe(drain)

    def next_item() -> Item:
        try:
            return reader.read_frame()
        except Oversized as exc:
            return exc
        except EndOfStream:
            return Closed()
        except (FramingError, OSError) as exc:
            return Closed(str(exc))

    def pump() -> None:
        while True:
            item = next_item()
            try:
                hand_over(item)
            except RuntimeError:
                return  # the loop has closed: the host stopped on its own and nobody is listening
            if isinstance(item, Closed):
                if on_end is not None:
                    on_end(item)
                return

    threading.Thread(target=pump, name="navllm-reader", daemon=True).start()


def _size(item: Item) -> int:
    if isinstance(item, Oversized):
        return len(item.head) + len(item.tail)
    return len(item) if isinstance(item, bytes) else 0
