"""The host's hot path: frames handed from the reader thread to the loop, validated from their
bytes, replies serialized in one pass. Each shortcut must behave exactly as the long way."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from navllm.bench.relay import host_only, table
from navllm.dispatch.dispatcher import Dispatcher
from navllm.dispatch.frames import frame_submitter
from navllm.protocol.common import ToolCallPart
from navllm.protocol.page import Availability, Params
from navllm.protocol.replies import Chunk, Done, Error, ErrorBody, PermissionAsk, PermissionRequired
from navllm.wire.channel import Closed, start_reader
from navllm.wire.framing import HEADER, FrameReader, Oversized, encode

PAGE = {"kind": "page", "origin": "https://a.example", "tabId": 1, "frameId": 0}


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


async def delivered(data: bytes, cap: int = 1024) -> list:
    """Everything ``start_reader`` hands over for ``data``, up to and including ``Closed``."""
    loop = asyncio.get_running_loop()
    items: list = []
    ended = loop.create_future()

    def deliver(item) -> None:
        items.append(item)
        if isinstance(item, Closed):
            ended.set_result(None)

    start_reader(FrameReader(io.BytesIO(data), cap=cap), loop, deliver)
    await asyncio.wait_for(ended, 2)
    return items


async def test_a_burst_arrives_whole_and_in_order_then_the_end():
    bodies = [encode({"n": i}) for i in range(500)]
    assert await delivered(b"".join(frame(b) for b in bodies)) == [*bodies, Closed()]


async def test_an_over_cap_frame_is_skipped_and_reading_goes_on():
    good, big = encode({"n": 1}), encode({"pad": "x" * 4096, "id": "b7"})
    items = await delivered(frame(good) + frame(big) + frame(good))
    assert items[0] == good and items[2] == good and items[3] == Closed() and len(items) == 4
    assert isinstance(items[1], Oversized) and items[1].length == len(big) and items[1].tail.endswith(b'"b7"}')


async def test_a_broken_stream_ends_with_its_reason_after_the_good_frames():
    good = encode({"n": 1})
    items = await delivered(frame(good) + HEADER.pack(4096) + b"{}")
    assert items[0] == good and "input ended inside a frame" in items[1].error and len(items) == 2


class Replies:
    def __init__(self) -> None:
        self.wire: list[dict] = []

    def send(self, reply) -> None:
        self.wire.append(reply.wire())


@pytest.mark.parametrize(
    "message",
    [
        {"id": "p1", "type": "params", "caller": PAGE},
        {"id": "p2", "type": "params", "caller": {**PAGE, "kind": "robot"}},
        {"id": "p3", "type": "params", "caller": PAGE, "smuggled": 1},
        {"id": "p4", "type": "no-such-type", "caller": PAGE},
        {"id": "p5", "type": "status", "caller": PAGE},
        {"id": "p6"},
        ["not", "an", "object"],
        "hello",
    ],
    ids=["valid", "bad-caller", "unknown-field", "unknown-type", "admin-from-page", "no-type", "array", "string"],
)
async def test_a_frame_gets_the_reply_its_decoded_message_gets(message):
    async def params(request, out) -> str:
        return request.caller.origin

    replies = {}
    for way in ("frame", "dict"):
        sink = Replies()
        disp = Dispatcher(sink.send, {Params: params, Availability: params})
        if way == "frame":
            frame_submitter(disp)(json.dumps(message).encode())
        else:
            disp.submit(message)
        await asyncio.sleep(0.01)
        replies[way] = sink.wire
    assert replies["frame"] == replies["dict"]


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (b"not json", None),
        (b'{"id": "b1", "a": "\xff"}', "not UTF-8 JSON"),
        (b"", None),
        (b'{"caller": {}, "id": "b2", "type": "params"', "not UTF-8 JSON"),
        (b'{"id": "b3", "n": ' + b"9" * 5000 + b"}", "too many digits"),
        (b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b', "id": "b4"}', "nested at most 64 levels"),
    ],
    ids=["garbage", "bad-utf8", "empty", "truncated-json", "5000-digits", "deep"],
)
async def test_a_frame_that_is_not_acceptable_json_fails_alone(body, answer):
    sink = Replies()
    frame_submitter(Dispatcher(sink.send, {}))(body)  # never raises
    if answer is None:
        assert sink.wire == []
    else:
        [reply] = sink.wire
        assert reply["type"] == "error" and reply["error"]["name"] == "TypeError" and answer in reply["error"]["message"]


@pytest.mark.parametrize(
    "reply",
    [
        Done(id="d", data={"text": "ünïcödé ✓ \u2028", "n": [1, 2.5, None], "nested": {"deep": True}}),
        Done(id="d"),
        Chunk(id="c", delta="hé"),
        Chunk(id="c", tool_call=ToolCallPart(call_id="t1", name="f", arguments={"a": [1]})),
        Error(id="e", error=ErrorBody(name="QuotaExceededError", message="over", details={"quota": 3})),
        PermissionRequired(id="q", ask=PermissionAsk(origin="https://a.example", providers=["local"], remote=False)),
    ],
    ids=["done", "done-empty", "chunk", "tool-call", "error", "permission"],
)
def test_replies_serialize_in_one_pass_as_wire_says(reply):
    body = reply.wire_json()
    assert json.loads(body) == reply.wire()
    assert len(body) <= len(encode(reply.wire()))  # UTF-8 as is, no \\u escapes, no spaces


def test_host_only_benchmark_times_the_real_host_in_process_and_relaying():
    result = host_only(50, warmup=5)
    for path in ("inProcess", "relay"):
        assert result[path]["n"] == 50 and 0 < result[path]["p50"] <= result[path]["p95"] <= result[path]["p99"]
    assert (
        table({"hostOnly": result, "coldStart": {"n": 1, "median": 1.0, "p90": 1.0, "min": 1.0}}).count("host relaying to navllm serve")
        == 1
    )
