"""Native-messaging framing: exact reads, caps, and every way a stream can be broken."""

from __future__ import annotations

import io
import json
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navllm.host import frames
from navllm.wire.framing import (
    ID_WINDOW,
    MAX_DEPTH,
    OUTPUT_LIMIT,
    SAFE_FRAME,
    EndOfStream,
    FrameReader,
    FrameWriter,
    FramingError,
    Malformed,
    Oversized,
    check_depth,
    encode,
    recover_id,
)

HEADER = struct.Struct("=I")


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


class Trickle(io.RawIOBase):
    """A pipe that hands out at most ``step`` bytes per read, like a busy browser."""

    def __init__(self, data: bytes, step: int = 1):
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self._step, len(self._data))
        buf[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


def test_partial_reads_reassemble_whole_messages():
    messages = [{"id": "a", "type": "hello"}, {"id": "b", "text": "ünïcödé ✓" * 50}]
    reader = FrameReader(Trickle(b"".join(frame(encode(m)) for m in messages), step=3))
    assert [reader.read(), reader.read()] == messages
    with pytest.raises(EndOfStream):
        reader.read()


def test_an_over_cap_frame_is_read_past_in_bounded_chunks_keeping_its_ends():
    body = b'{"id": "b1", "pad": "' + b"x" * (3 * ID_WINDOW) + b'", "end": 1}'
    reader = FrameReader(Trickle(frame(body) + frame(b'{"next": 1}'), step=4096), cap=1024)
    with pytest.raises(Oversized, match=f"incoming frame of {len(body)} bytes exceeds the 1024-byte cap") as caught:
        reader.read()
    assert caught.value.head == body[:ID_WINDOW] and caught.value.tail == body[-ID_WINDOW:]
    assert caught.value.length == len(body) and caught.value.cap == 1024
    assert reader.read() == {"next": 1}


def test_a_lying_header_is_a_framing_error_once_input_ends():
    reader = FrameReader(Trickle(HEADER.pack(0xFFFFFFF0) + b"{}", step=4096), cap=1024)
    with pytest.raises(FramingError, match="input ended inside a frame"):
        reader.read()


@pytest.mark.parametrize(
    ("data", "problem"),
    [(HEADER.pack(10) + b"{}", "input ended inside a frame"), (b"\x05\x00", "input ended inside a frame")],
    ids=["eof-mid-body", "eof-mid-header"],
)
def test_broken_streams_are_framing_errors(data, problem):
    with pytest.raises(FramingError, match=problem):
        FrameReader(Trickle(data, step=2)).read()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "not UTF-8 JSON"),
        (b'{"a": "\xff\xfe"}', "not UTF-8 JSON"),
        (b"[" * 65 + b"]" * 65, "nested at most 64 levels"),
        (b"9" * 5000, "too many digits"),
    ],
    ids=["garbage", "bad-utf8", "deep", "digits"],
)
def test_an_intact_frame_that_is_not_acceptable_json_is_malformed_and_the_stream_goes_on(body, problem):
    reader = FrameReader(Trickle(frame(body) + frame(b"[]"), step=2))
    with pytest.raises(Malformed, match=problem):
        reader.read()
    assert reader.read() == []


def test_writer_frames_and_refuses_what_the_browser_would_drop():
    read_fd, write_fd = os.pipe()
    try:
        FrameWriter(write_fd).write({"id": "x", "type": "done", "data": "é"})
        (length,) = HEADER.unpack(os.read(read_fd, 4))
        assert json.loads(os.read(read_fd, length)) == {"id": "x", "type": "done", "data": "é"}
        with pytest.raises(ValueError, match="exceeds the browser's"):
            FrameWriter(write_fd).write_bytes(b"x" * (OUTPUT_LIMIT + 1))
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_large_reply_is_split_into_parts_that_rebuild_it():
    reply = {"id": "big", "type": "done", "data": '\u0001"é' * SAFE_FRAME}
    body = encode(reply)
    parts = [json.loads(f) for f in frames("big", body)]
    assert len(parts) > 1
    assert all(len(f) <= SAFE_FRAME for f in frames("big", body))
    assert [p["more"] for p in parts] == [True] * (len(parts) - 1) + [False]
    assert {p["id"] for p in parts} == {"big"} and {p["type"] for p in parts} == {"part"}
    assert json.loads("".join(p["body"] for p in parts)) == reply


def test_a_small_reply_is_one_frame():
    body = encode({"id": "s", "type": "done"})
    assert frames("s", body) == [body]


def depth_of(value) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0), without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level + 1)
            todo.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


TRICKY = st.text(alphabet='[]{}"\\/ab\n\u2028é', max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=200,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.integers(0, 70))
def test_the_depth_check_matches_the_real_depth_whatever_the_strings_hold(value, extra):
    for _ in range(extra):
        value = [value]
    body = json.dumps(value, ensure_ascii=False).encode()
    if depth_of(value) <= MAX_DEPTH:
        check_depth(body)
    else:
        with pytest.raises(Malformed, match="nested at most 64 levels"):
            check_depth(body)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.booleans(), st.integers(0, 70))
def test_the_recovered_id_is_the_top_level_one_never_a_nested_decoy(value, id_last, extra):
    for _ in range(extra):
        value = [{"id": "decoy"}, value]
    message = {"id": "b7", "pad": value, "x": {"id": "decoy2"}}
    if id_last:
        message = {"pad": value, "x": {"id": "decoy2"}, "id": "b7"}
    body = json.dumps(message, ensure_ascii=False).encode()
    assert recover_id(body) == "b7"
    assert recover_id(body[:-1]) == "b7"  # truncated (not JSON any more): still found
    assert recover_id(json.dumps({"pad": value, "x": {"id": "decoy"}}).encode()) is None


def test_the_id_is_recovered_from_either_end_of_an_over_cap_frame():
    pad = b'"' + b"[{" * ID_WINDOW + b'"'
    assert recover_id(b'{"caller":{},"id":"b1","pad":' + pad[:ID_WINDOW], b"tail") == "b1"
    assert recover_id(b'{"pad":' + pad[:ID_WINDOW], pad[-ID_WINDOW:] + b',"x":{"id":"no"},"id":"b2"}') == "b2"
    assert recover_id(b'{"pad":' + pad[:ID_WINDOW], b'"a":{"id":"no"}}') is None
