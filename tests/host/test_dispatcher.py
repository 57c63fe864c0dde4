"""The dispatcher: many requests in flight on one port, bounded per origin and overall,
cancelled promptly, each ending with exactly one terminal reply."""

from __future__ import annotations

import asyncio
import time

from navllm.dispatch.dispatcher import Dispatcher, Limits
from navllm.protocol.page import Availability, Params

A = {"kind": "page", "origin": "https://a.example", "tabId": 1, "frameId": 0}
B = {"kind": "page", "origin": "https://b.example", "tabId": 2, "frameId": 0}


class Recorder:
    """Collects replies and measures how many handlers run at once, per origin."""

    def __init__(self) -> None:
        self.replies: list = []
        self.running: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.peak_total = 0
        self.release = asyncio.Event()

    def send(self, reply) -> None:
        self.replies.append(reply.wire())

    async def handler(self, request, out) -> str:
        origin = request.caller.origin
        self.running[origin] = self.running.get(origin, 0) + 1
        self.peak[origin] = max(self.peak.get(origin, 0), self.running[origin])
        self.peak_total = max(self.peak_total, sum(self.running.values()))
        try:
            await self.release.wait()
            out.delta("ok")
            return origin
        finally:
            self.running[origin] -= 1

    def terminal(self) -> dict[str, dict]:
        return {r["id"]: r for r in self.replies if r["type"] in ("done", "error")}


async def settle(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


def dispatcher(recorder: Recorder, limits: Limits = Limits(per_origin=4, overall=6)) -> Dispatcher:
    return Dispatcher(recorder.send, {Availability: recorder.handler, Params: recorder.handler}, limits)


async def test_many_in_flight_bounded_per_origin_and_overall():
    rec = Recorder()
    disp = dispatcher(rec)
    for i in range(20):
        disp.submit({"id": f"a{i}", "type": "availability", "caller": A})
    for i in range(20):
        disp.submit({"id": f"b{i}", "type": "params", "caller": B})
    await settle(lambda: sum(rec.running.values()) == 6)
    assert rec.running["https://a.example"] <= 4 and rec.running["https://b.example"] >= 2  # A cannot starve B
    rec.release.set()
    await settle(lambda: len(rec.terminal()) == 40)
    assert rec.peak["https://a.example"] == 4 and rec.peak["https://b.example"] <= 4
    assert rec.peak_total == 6
    done = rec.terminal()
    assert all(done[f"a{i}"] == {"id": f"a{i}", "type": "done", "data": "https://a.example"} for i in range(20))
    assert sum(1 for r in rec.replies if r["type"] == "chunk") == 40


async def test_cancel_is_prompt_and_only_for_the_same_origin():
    rec = Recorder()
    disp = dispatcher(rec)
    disp.submit({"id": "slow", "type": "availability", "caller": A})
    await settle(lambda: disp.inflight == 1 and rec.running.get("https://a.example") == 1)
    disp.submit({"id": "c1", "type": "cancel", "caller": B, "target": "slow"})  # another origin: ignored
    await asyncio.sleep(0.05)
    assert "slow" not in rec.terminal()
    started = time.monotonic()
    disp.submit({"id": "c2", "type": "cancel", "caller": A, "target": "slow"})
    await settle(lambda: "slow" in rec.terminal())
    assert time.monotonic() - started < 0.1
    assert rec.terminal()["slow"]["error"]["name"] == "AbortError"
    assert rec.terminal()["c2"] == {"id": "c2", "type": "done", "data": {"cancelled": True}}


async def test_duplicate_ids_and_bad_messages_do_not_disturb_the_rest():
    rec = Recorder()
    disp = dispatcher(rec)
    disp.submit({"id": "x", "type": "availability", "caller": A})
    disp.submit({"id": "x", "type": "availability", "caller": A})
    disp.submit({"id": "y", "type": "availability", "caller": {"kind": "robot", "origin": "z"}})
    disp.submit(["not", "an", "object"])
    await settle(lambda: len(rec.terminal()) == 2)
    assert rec.terminal()["x"]["error"]["name"] == "InvalidStateError"
    assert rec.terminal()["y"]["error"]["name"] == "TypeError"
    rec.release.set()
    await settle(lambda: rec.terminal()["x"]["type"] == "done")


async def test_close_cancels_everything_in_flight():
    rec = Recorder()
    disp = dispatcher(rec)
    for i in range(5):
        disp.submit({"id": f"r{i}", "type": "availability", "caller": A})
    await settle(lambda: disp.inflight == 5)
    await asyncio.wait_for(disp.close(), 0.5)
    assert {r["error"]["name"] for r in rec.terminal().values()} == {"AbortError"}
    assert len(rec.terminal()) == 5
