"""Drive the real host as the extension background would, for the policy tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.host_process import ADMIN, PAGE, HostProcess

SITE = PAGE["origin"]
SAY_HI = [{"role": "user", "content": [{"type": "text", "value": "hi"}]}]


def echo_only(home: Path) -> None:
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"echoEnabled": True, "providers": []}))


class Host:
    """A running host that can be restarted on the same NAVLLM_HOME (a browser restart)."""

    def __init__(self, home: Path):
        self.home = home
        self.proc = HostProcess(home)

    def call(self, type_: str, caller: dict | None = None, **fields) -> dict:
        return self.proc.call(type_, caller, **fields)

    def admin(self, type_: str, **fields) -> dict:
        reply = self.proc.call(type_, ADMIN, **fields)
        assert reply["type"] == "done", reply
        return reply.get("data")

    def create(self, caller: dict | None = None) -> dict:
        return self.call("create", caller or PAGE)

    def decide(self, decision: str, caller: dict | None = None, providers=("echo",), **extra) -> dict:
        caller = caller or PAGE
        fields = {
            "origin": caller["origin"],
            "incognito": caller.get("incognito", False),
            "tabId": caller.get("tabId"),
            "documentId": caller.get("documentId"),
            "decision": decision,
            "providers": list(providers),
            **extra,
        }
        if caller.get("topOrigin"):
            fields["topOrigin"] = caller["topOrigin"]
        return self.admin("permission.decide", **{k: v for k, v in fields.items() if v is not None})

    def restart(self) -> None:
        assert self.proc.close() == 0
        self.proc = HostProcess(self.home)

    def close(self) -> None:
        self.proc.close()


def kind(reply: dict) -> str:
    """'done', 'permission_required', or the error's DOMException name."""
    return reply["error"]["name"] if reply["type"] == "error" else reply["type"]
