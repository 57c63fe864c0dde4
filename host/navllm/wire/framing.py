"""Length-prefixed JSON frames: 4-byte native-order length, then UTF-8 JSON."""

from __future__ import annotations

import json
import os
import struct
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import BinaryIO

HEADER = struct.Struct("=I")
DEFAULT_INPUT_CAP = 8 * 1024 * 1024
# Browsers drop the port on a host→browser frame over 1 MiB; stay well under it.
OUTPUT_LIMIT = 1024 * 1024
SAFE_FRAME = 512 * 1024


class FramingError(Exception):
    """The stream cannot be trusted any more; the host must stop reading it."""


class EndOfStream(Exception):
    """Clean end of input at a frame boundary."""


def _read_exact(stream: BinaryIO, size: int, *, at_boundary: bool) -> bytes:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = stream.readinto(view[got:])
        if not n:
            if got == 0 and at_boundary:
                raise EndOfStream
            raise FramingError(f"input ended inside a frame ({got} of {size} bytes)")
        got += n
    return bytes(buf)


class FrameReader:
    def __init__(self, stream: BinaryIO, cap: int = DEFAULT_INPUT_CAP):
        self._stream = stream
        self._cap = cap

    def read_frame(self) -> bytes:
        """Return the next frame's body, undecoded; raise EndOfStream or FramingError."""
        (length,) = HEADER.unpack(_read_exact(self._stream, HEADER.size, at_boundary=True))
        if length > self._cap:
            raise FramingError(f"incoming frame of {length} bytes exceeds the {self._cap}-byte cap")
        return _read_exact(self._stream, length, at_boundary=False)

    def read(self) -> Any:
        """Return the next decoded message; raise EndOfStream or FramingError."""
        return decode(self.read_frame())


def decode(body: bytes) -> Any:
    """A frame's message; FramingError if it is not UTF-8 JSON (the stream is then not to be trusted)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FramingError(f"frame is not UTF-8 JSON: {exc.__class__.__name__}") from None


def encode(message: Any) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class FrameWriter:
    """Writes whole frames under one lock so concurrent streams never interleave bytes."""

    def __init__(self, fd: int):
        self._fd = fd
        self._lock = threading.Lock()

    def write_bytes(self, body: bytes) -> None:
        if len(body) > OUTPUT_LIMIT:
            raise ValueError(f"frame of {len(body)} bytes exceeds the browser's {OUTPUT_LIMIT}-byte limit")
        data = HEADER.pack(len(body)) + body
        with self._lock:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]

    def write(self, message: Any) -> None:
        self.write_bytes(encode(message))
