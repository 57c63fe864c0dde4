"""Bridge the blocking frame reader into asyncio (a thread works on every OS, Windows included)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from .framing import EndOfStream, FrameReader, FramingError


@dataclass(frozen=True)
class Closed:
    """Sentinel queued when input ends; ``error`` is set when the stream was malformed."""

    error: str | None = None


def start_reader(reader: FrameReader, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[Any]:
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def pump() -> None:
        while True:
            try:
                message = reader.read()
            except EndOfStream:
                loop.call_soon_threadsafe(queue.put_nowait, Closed())
                return
            except (FramingError, OSError) as exc:
                loop.call_soon_threadsafe(queue.put_nowait, Closed(str(exc)))
                return
            loop.call_soon_threadsafe(queue.put_nowait, message)

    threading.Thread(target=pump, name="navllm-reader", daemon=True).start()
    return queue
