"""Length-prefixed JSON frames: 4-byte native-order length, then UTF-8 JSON.

Only a broken length prefix (input ending inside a frame) makes the stream unusable. A frame
that arrived whole but cannot be accepted (over the cap, not UTF-8 JSON, nested too deeply)
fails alone, answered to its ``id`` when ``recover_id`` can find it without parsing.
"""

from __future__ import annotations

import json
import os
import re
import struct
import threading

# typing.TYPE_CHECKING's value, without importing typing: the relaying host imports this module
# and holds nothing it does not use (typing costs each such process ~0.6 MiB).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Readable(Protocol):
        """What the reader needs of its stream: a binary file's ``readinto`` (0 or None at the end)."""

        def readinto(self, buffer: memoryview, /) -> int | None: ...


HEADER = struct.Struct("=I")
DEFAULT_INPUT_CAP = 8 * 1024 * 1024
# Browsers drop the port on a host→browser frame over 1 MiB; stay well under it.
OUTPUT_LIMIT = 1024 * 1024
SAFE_FRAME = 512 * 1024
# Long text is sent in pieces of this many characters: JSON escaping can grow text 6x.
PART_CHARS = SAFE_FRAME // 8
# Deeper messages are refused before any parser recurses into them (Chromium relays ~3,000 levels).
MAX_DEPTH = 64
# How much of a refused frame's start and end is searched for its id; over-cap bodies are
# discarded in chunks of this size.
ID_WINDOW = 64 * 1024


class FramingError(Exception):
    """The stream cannot be trusted any more; the host must stop reading it."""


class EndOfStream(Exception):
    """Clean end of input at a frame boundary."""


class Malformed(Exception):
    """A frame that arrived whole but is not a message we accept; the stream goes on."""


class Oversized(Exception):
    """A frame over the input cap, already read past; ``head`` and ``tail`` are its first and
    last bytes, kept to find its id."""

    def __init__(self, length: int, cap: int, head: bytes, tail: bytes):
        super().__init__(f"incoming frame of {length} bytes exceeds the {cap}-byte cap")
        self.length = length
        self.cap = cap
        self.head = head
        self.tail = tail


def _read_exact(stream: Readable, size: int, *, at_boundary: bool) -> bytes:
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
    def __init__(self, stream: Readable, cap: int = DEFAULT_INPUT_CAP):
        self._stream = stream
        self._cap = cap

    def read_frame(self) -> bytes:
        """Return the next frame's body, undecoded; raise EndOfStream, FramingError, or
        Oversized once past a frame over the cap (the next read starts at the frame after it)."""
        (length,) = HEADER.unpack(_read_exact(self._stream, HEADER.size, at_boundary=True))
        if length <= self._cap:
            return _read_exact(self._stream, length, at_boundary=False)
        head = _read_exact(self._stream, min(length, ID_WINDOW), at_boundary=False)
        tail = head
        left = length - len(head)
        while left:  # bounded chunks: a 4 GiB frame costs time, never memory
            chunk = _read_exact(self._stream, min(left, ID_WINDOW), at_boundary=False)
            tail = (tail + chunk)[-ID_WINDOW:]
            left -= len(chunk)
        raise Oversized(length, self._cap, head, tail)

    def read(self) -> Any:
        """Return the next decoded message; raise EndOfStream, FramingError, Oversized or Malformed."""
        return decode(self.read_frame())


_SAME_BRACKETS = bytes.maketrans(b"[]", b"{}")
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')
# A plain "id" key; inside a JSON string a quote is always escaped, so a match is a real key.
_ID = re.compile(rb'"id"\s*:\s*"([\x20\x21\x23-\x5b\x5d-\x7e]{1,64})"')


def check_depth(body: bytes) -> None:
    """Raise Malformed unless ``body`` is JSON nested at most MAX_DEPTH levels, so no parser ever recurses deeper."""
    if _too_deep(body):
        raise Malformed(f"the message is not JSON nested at most {MAX_DEPTH} levels deep")


def _too_deep(body: bytes) -> bool:
    """Whether brackets outside strings nest deeper than MAX_DEPTH (or do not balance), found
    without recursion; the common small message costs two counts."""
    if body.count(b"{") + body.count(b"[") <= MAX_DEPTH:
        return False
    brackets = _brackets(body)
    if b"{" * (MAX_DEPTH + 1) in brackets:
        return True
    for _ in range(MAX_DEPTH):  # each pass removes the innermost level
        if not brackets:
            return False
        shorter = brackets.replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return True  # unbalanced: not JSON
        brackets = shorter
    return bool(brackets)


def decode(body: bytes) -> Any:
    """A frame's message; Malformed if it nests too deeply or is not UTF-8 JSON Python can hold."""
    check_depth(body)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Malformed(f"the message is not UTF-8 JSON ({exc.__class__.__name__})") from None
    except ValueError:
        raise Malformed("a number in the message has too many digits") from None


def _brackets(chunk: bytes) -> bytes:
    """The brackets of ``chunk`` outside strings, all as ``{}``, in order, at C speed: with the
    escapes gone, every quote left delimits a string."""
    if b"\\" in chunk:
        chunk = _ESCAPE.sub(b"", chunk)
    return _STRING.sub(b"", chunk.translate(_SAME_BRACKETS, _NOT_STRUCTURE))


def _nesting(chunk: bytes) -> int:
    """Containers opened minus closed in ``chunk``, strings skipped."""
    brackets = _brackets(chunk)
    return 2 * brackets.count(b"{") - len(brackets)


def recover_id(head: bytes, tail: bytes | None = None) -> str | None:
    """The top-level ``id`` of a frame refused unparsed, if one is found at depth 1 near its start
    (in ``head``) or its end (in ``tail``, which defaults to ``head``: the whole body).

    Sound for any JSON a browser relays (a page cannot aim another request's id); Chrome sends
    keys sorted, so the id is near the start, Firefox in insertion order, so near the end."""
    depth, start = 0, 0
    for match in _ID.finditer(head, 0, ID_WINDOW):
        depth += _nesting(head[start : match.start()])
        if depth == 1:
            return match[1].decode()
        start = match.start()
    tail = head if tail is None else tail
    depth, end = 0, len(tail)
    for match in reversed(list(_ID.finditer(tail, max(0, len(tail) - ID_WINDOW)))):
        depth -= _nesting(tail[match.end() : end])
        if depth == 1:
            return match[1].decode()
        end = match.end()
    return None


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


def frames(reply_id: str, body: bytes) -> list[bytes]:
    """One encoded reply as frames under the browser's limit: itself, or ``part`` frames whose
    ``body`` strings concatenate to it (JSON escaping can grow text 6x, hence the small step)."""
    if len(body) <= SAFE_FRAME:
        return [body]
    text = body.decode("utf-8")
    step = PART_CHARS
    return [
        encode({"id": reply_id, "type": "part", "more": start + step < len(text), "body": text[start : start + step]})
        for start in range(0, len(text), step)
    ]
