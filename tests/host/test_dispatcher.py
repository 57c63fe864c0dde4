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


LIMITS = Limits(per_origin=4, overall=6)


def dispatcher(recorder: Recorder, limits: Limits = LIMITS) -> Dispatcher:
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


ADMIN = {"kind": "extension", "origin": "chrome-extension://navllm"}


async def test_in_flight_requests_are_bounded_per_origin_overall_and_for_admin_apart():
    rec = Recorder()
    limits = Limits(per_origin=2, overall=4, queued_per_origin=3, queued_overall=7, queued_admin=2)
    disp = dispatcher(rec, limits)
    for origin in ("a", "b"):
        for i in range(4):
            disp.submit({"id": f"{origin}{i}", "type": "availability", "caller": {**A, "origin": f"https://{origin}.example"}})
    disp.submit({"id": "c0", "type": "params", "caller": {**A, "origin": "https://c.example"}})  # the 7th page request in flight
    disp.submit({"id": "c1", "type": "params", "caller": {**A, "origin": "https://c.example"}})
    for i in range(3):
        disp.submit({"id": f"x{i}", "type": "params", "caller": ADMIN})
    refused = {rid: r["error"] for rid, r in rec.terminal().items()}
    assert refused == {
        "a3": {
            "name": "QuotaExceededError",
            "message": "https://a.example has 3 requests in flight; wait for some to finish",
            "details": {"quota": 3, "requested": 4},
        },
        "b3": {
            "name": "QuotaExceededError",
            "message": "https://b.example has 3 requests in flight; wait for some to finish",
            "details": {"quota": 3, "requested": 4},
        },
        "c1": {
            "name": "QuotaExceededError",
            "message": "pages have 7 requests in flight; wait for some to finish",
            "details": {"quota": 7, "requested": 8},
        },
        "x2": {
            "name": "QuotaExceededError",
            "message": "the extension's pages have 2 requests in flight; wait for some to finish",
            "details": {"quota": 2, "requested": 3},
        },
    }
    disp.submit({"id": "k", "type": "cancel", "caller": A, "target": "a0"})  # never refused
    await settle(lambda: "a0" in rec.terminal())
    assert rec.terminal()["k"]["data"] == {"cancelled": True}
    rec.release.set()
    await settle(lambda: disp.inflight == 0)
    disp.submit({"id": "again", "type": "params", "caller": A})
    await settle(lambda: "again" in rec.terminal())
    assert rec.terminal()["again"]["type"] == "done"
    assert not disp._by_origin and not disp._per_origin  # origins are forgotten once idle


async def test_a_request_cancelled_before_it_first_ran_still_ends_with_abort():
    rec = Recorder()
    disp = dispatcher(rec)
    disp.submit({"id": "r", "type": "availability", "caller": A})
    disp.submit({"id": "c", "type": "cancel", "caller": A, "target": "r"})  # same burst: r has not started
    await settle(lambda: "r" in rec.terminal())
    assert rec.terminal()["r"]["error"]["name"] == "AbortError"
    assert [r["type"] for r in rec.replies if r["id"] == "r"] == ["error"]


async def test_a_place_is_free_as_soon_as_its_terminal_reply_is_sent():
    """A client that sends its next request on reading a terminal reply must not be refused for
    the request that just ended (it was, while places were freed a loop step after the reply)."""
    rec = Recorder()
    disp = dispatcher(rec, Limits(per_origin=1, overall=1, queued_per_origin=1, queued_overall=1))
    record = rec.send

    def send_then_follow(reply) -> None:
        record(reply)
        if reply.id in ("first", "after-cancel") and reply.type in ("done", "error"):
            # As a frame read meanwhile would be: handled on the loop's next turn.
            asyncio.get_running_loop().call_soon(disp.submit, {"id": f"{reply.id}-next", "type": "params", "caller": A})

    disp._send = send_then_follow
    rec.release.set()
    disp.submit({"id": "first", "type": "availability", "caller": A})
    await settle(lambda: "first-next" in rec.terminal())
    assert rec.terminal()["first-next"]["type"] == "done"
    rec.release.clear()
    disp.submit({"id": "after-cancel", "type": "availability", "caller": A})
    await settle(lambda: rec.running.get(A["origin"]) == 1)
    disp.submit({"id": "c", "type": "cancel", "caller": A, "target": "after-cancel"})
    await settle(lambda: "after-cancel-next" in disp._inflight or "after-cancel-next" in rec.terminal())
    assert rec.terminal()["after-cancel"]["error"]["name"] == "AbortError"
    rec.release.set()
    await settle(lambda: "after-cancel-next" in rec.terminal())
    assert rec.terminal()["after-cancel-next"]["type"] == "done"  # admitted, not refused
