"""Play the browser: start the real host process and speak native-messaging frames to it."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HEADER = struct.Struct("=I")


def frame(message: Any) -> bytes:
    body = json.dumps(message).encode()
    return HEADER.pack(len(body)) + body


PAGE = {"kind": "page", "origin": "https://example.com", "tabId": 1, "frameId": 0}
ADMIN = {"kind": "extension", "origin": "chrome-extension://test/"}


class HostProcess:
    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None, code: str | None = None):
        """``code``: run this Python source instead of ``-m navllm.host`` (it must start the host itself)."""
        full_env = {**os.environ, "NAVLLM_HOME": str(home), "PYTHONPATH": str(ROOT / "host"), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, *(["-c", code] if code else ["-m", "navllm.host"]), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=ROOT,
        )
        self._n = 0

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(frame(message))

    def request(self, type_: str, caller: dict | None = None, **fields: Any) -> str:
        self._n += 1
        rid = f"r{self._n}"
        self.send({"id": rid, "type": type_, "caller": caller or PAGE, **fields})
        return rid

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout
        header = self.proc.stdout.read(HEADER.size)
        if len(header) < HEADER.size:
            raise EOFError("host closed its output")
        (length,) = HEADER.unpack(header)
        return json.loads(self.proc.stdout.read(length))

    def until_done(self, rid: str) -> list[dict[str, Any]]:
        """All replies for ``rid`` up to and including its terminal reply (parts reassembled)."""
        replies, parts = [], []
        while True:
            reply = self.read()
            if reply.get("id") != rid:
                continue
            if reply["type"] == "part":
                parts.append(reply["body"])
                if reply["more"]:
                    continue
                reply = json.loads("".join(parts))
                parts = []
            replies.append(reply)
            if reply["type"] in ("done", "error", "permission_required"):
                return replies

    def call(self, type_: str, caller: dict | None = None, **fields: Any) -> dict[str, Any]:
        return self.until_done(self.request(type_, caller, **fields))[-1]

    def close(self, timeout: float = 5) -> int:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe:
                    pipe.close()

    def stderr(self) -> str:
        assert self.proc.stderr
        return self.proc.stderr.read().decode(errors="replace")


def wait_exit(proc: subprocess.Popen, timeout: float) -> float:
    start = time.monotonic()
    proc.wait(timeout)
    return time.monotonic() - start
