"""Hostile replies for the limit tests, made lazily as the fake server sends them, and a peak-RSS probe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import psutil
from fake_anthropic import event, message_stream
from fake_http import sse
from fake_openai import chunk

MB = 1 << 20
FLOOD = 200 * MB
PIECE = 65536


def openai_text_flood(total: int = FLOOD, piece: int = 8192) -> Iterator[bytes]:
    """Deltas of ``piece`` characters until ``total`` bytes were sent (the stream never gets to finish)."""
    yield chunk({"role": "assistant", "content": ""})
    delta = chunk({"content": "x" * piece})
    for _ in range(total // len(delta)):
        yield delta
    yield chunk({}, finish="stop")
    yield sse("[DONE]")


def openai_tool_flood(total: int = FLOOD, piece: int = 8192) -> Iterator[bytes]:
    """One tool call whose arguments never end."""
    yield chunk(
        {
            "role": "assistant",
            "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"q": "'}}],
        }
    )
    delta = chunk({"tool_calls": [{"index": 0, "function": {"arguments": "x" * piece}}]})
    for _ in range(total // len(delta)):
        yield delta


def anthropic_text_flood(total: int = FLOOD, piece: int = 8192) -> Iterator[bytes]:
    head = message_stream([{"text": []}], 3, 1)[:3]  # message_start, ping, content_block_start
    yield from head
    delta = event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x" * piece}})
    for _ in range(total // len(delta)):
        yield delta


def one_line(prefix: bytes, total: int = FLOOD, newlines: bool = False) -> Iterator[bytes]:
    """``prefix`` then ``total`` bytes with no event end: one line, or (``newlines``) many short data lines."""
    block = b"data: xxxxxxxx\n" * (PIECE // 15) if newlines else b"x" * PIECE
    yield prefix
    for _ in range(total // len(block)):
        yield block


OPENAI_LINE = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"'
ANTHROPIC_LINE = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'


def openai_line(newlines: bool = False) -> Iterator[bytes]:
    yield chunk({"role": "assistant", "content": ""})
    yield from one_line(b"data: x\n" if newlines else OPENAI_LINE, newlines=newlines)


def anthropic_line() -> Iterator[bytes]:
    yield from message_stream([{"text": []}], 3, 1)[:3]
    yield from one_line(ANTHROPIC_LINE)


def json_flood(total: int = FLOOD) -> Iterator[bytes]:
    """A JSON body (a model list) that goes on for ``total`` bytes."""
    yield b'{"object": "list", "data": ['
    item = json.dumps({"id": "m" * 100, "object": "model", "created": 0, "owned_by": "x"}).encode() + b", "
    block = item * (PIECE // len(item))
    for _ in range(total // len(block)):
        yield block


def trickle(first: bytes, then: bytes) -> Iterator[bytes]:
    """A good first event, then ``then`` a byte at a time, forever (the script's ``event_delay`` paces it)."""
    yield first
    while True:
        yield from (then[i : i + 1] for i in range(len(then)))


class PeakRSS:
    """Samples a process's resident memory every 5 ms; ``growth`` is the peak over the level at entry."""

    def __init__(self, pid: int | None = None):
        self.process = psutil.Process(pid)
        self.peak = self.start = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / MB
