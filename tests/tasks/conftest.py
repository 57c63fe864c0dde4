"""The task APIs through the host's own handler table (app.handlers) behind the real dispatcher,
on this test's NAVLLM_HOME: the policy gate, the session table and the usage log are the real ones."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from navllm import app
from navllm.dispatch.dispatcher import Dispatcher
from tests.local.conftest import installed, smollm2_store  # noqa: F401 - the converted default model, for this directory

PAGE: dict[str, Any] = {"kind": "page", "origin": "https://example.com", "tabId": 1, "frameId": 0}
ADMIN: dict[str, Any] = {"kind": "extension", "origin": "chrome-extension://test/"}
DEADLINE = 10.0  # seconds any one echo request may take


def write_settings(home: Path, **values: Any) -> None:
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps(values))


class TaskHost:
    """Sends requests as the extension background would and collects every reply."""

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []
        self.dispatcher = Dispatcher(lambda reply: self.replies.append(reply.wire()), app.handlers())
        self._n = 0

    def send(self, type_: str, caller: dict[str, Any] | None = None, **fields: Any) -> str:
        self._n += 1
        rid = f"r{self._n}"
        self.dispatcher.submit({"id": rid, "type": type_, "caller": caller or PAGE, **fields})
        return rid

    async def wait(self, rid: str, deadline: float = DEADLINE) -> dict[str, Any]:
        """The terminal reply of ``rid``."""
        end = time.monotonic() + deadline
        while True:
            for reply in self.replies:
                if reply["id"] == rid and reply["type"] in ("done", "error", "permission_required"):
                    return reply
            assert time.monotonic() < end, f"no answer to {rid} within {deadline} s"
            await asyncio.sleep(0.005)

    async def call(self, type_: str, caller: dict[str, Any] | None = None, deadline: float = DEADLINE, **fields: Any) -> dict[str, Any]:
        return await self.wait(self.send(type_, caller, **fields), deadline)

    async def ok(self, type_: str, caller: dict[str, Any] | None = None, deadline: float = DEADLINE, **fields: Any) -> Any:
        reply = await self.call(type_, caller, deadline, **fields)
        assert reply["type"] == "done", reply
        return reply.get("data")

    def of(self, rid: str, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.replies if r["id"] == rid and r["type"] == kind]

    def text(self, rid: str) -> str:
        return "".join(r["delta"] for r in self.of(rid, "chunk"))

    async def grant(self, caller: dict[str, Any] | None = None, providers: tuple[str, ...] = ("echo",)) -> None:
        caller = caller or PAGE
        await self.ok("permission.decide", ADMIN, origin=caller["origin"], decision="always", providers=list(providers))

    async def create(self, deadline: float = DEADLINE, **options: Any) -> dict[str, Any]:
        data: dict[str, Any] = await self.ok("task-create", options=options, deadline=deadline)
        return data

    async def run(self, task: str, text: str, deadline: float = DEADLINE, **fields: Any) -> tuple[Any, str]:
        """The result and the joined text deltas of one run."""
        rid = self.send("task-run", task=task, input=text, **fields)
        reply = await self.wait(rid, deadline)
        assert reply["type"] == "done", reply
        return reply.get("data"), self.text(rid)

    async def usage(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads((await self.ok("usage.export", ADMIN, format="json"))["body"])
        return rows

    async def close(self) -> None:
        await asyncio.wait_for(self.dispatcher.close(), DEADLINE)


@pytest.fixture
async def echo_host(navllm_home) -> AsyncIterator[TaskHost]:
    """The host on the echo backend alone (with a short delay, so runs can be cancelled), the test page granted."""
    write_settings(navllm_home, echoEnabled=True, echoDelayMs=50, providers=[])
    host = TaskHost()
    await host.grant()
    yield host
    await host.close()
