"""The real host process spoken to as the extension does, recording every terminal reply it sends."""

from __future__ import annotations

import json

from tests.support.host_process import ADMIN, PAGE, HostProcess

SAY = [{"role": "user", "content": [{"type": "text", "value": "hello"}]}]


class HostSession:
    def __init__(self, home, **settings):
        """``settings``: stored before the host starts, over an empty provider chain."""
        config = home / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "settings.json").write_text(json.dumps({"providers": [], **settings}))
        self.home = home
        self.proc = HostProcess(home, env={"NAVLLM_LOG_LEVEL": "DEBUG"})
        self.replies: list[dict] = []

    def call(self, type_: str, caller: dict, **fields) -> dict:
        replies = self.proc.until_done(self.proc.request(type_, caller, **fields))
        self.replies.extend(replies)
        return replies[-1]

    def admin(self, type_: str, **fields):
        reply = self.call(type_, ADMIN, **fields)
        assert reply["type"] == "done", reply
        return reply["data"]

    def create(self) -> str:
        reply = self.call("create", PAGE)
        assert reply["type"] == "done", reply
        return reply["data"]["session"]

    def prompt(self, session: str, say: list[dict] = SAY, keep_chunks: bool = True) -> tuple[str, dict]:
        """The streamed text and the terminal reply (``keep_chunks=False`` when a flood may send millions)."""
        replies = self.proc.until_done(self.proc.request("prompt", PAGE, session=session, input=say))
        self.replies.extend(r for r in replies if keep_chunks or r["type"] != "chunk")
        return "".join(r.get("delta", "") for r in replies if r["type"] == "chunk"), replies[-1]
