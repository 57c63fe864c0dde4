"""A real ``navllm serve`` server on 127.0.0.1 (a free port) for each test, on that test's NAVLLM_HOME,
run in a thread of this process; apps' tokens made as ``navllm tokens create`` makes them."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from navllm.daemon.server import serve
from navllm.policy.apps import Apps
from navllm.policy.db import connect

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0  # seconds any one echo request, or the server's start and stop, may take


def write_settings(home: Path, **values: Any) -> None:
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps(values))


def make_token(name: str, providers: tuple[str, ...] = ("echo",), expires_at: float | None = None) -> str:
    db = connect()
    try:
        return Apps(db).create(name, list(providers), expires_at, time.time())
    finally:
        db.close()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Server:
    """The daemon's server in a thread with its own event loop."""

    def __init__(self) -> None:
        self.port = 0
        self.relay_secret = ""
        self._bound = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="navllm serve", daemon=True)

    def start(self) -> Server:
        self._thread.start()
        assert self._bound.wait(DEADLINE), f"the server did not start: {self._failure!r}"
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(0, self._ready, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:
            self._failure = exc
            self._bound.set()

    def _ready(self, port: int, relay_secret: str) -> None:
        self.port = port
        self.relay_secret = relay_secret
        self._bound.set()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(DEADLINE)
        assert not self._thread.is_alive(), "the server did not stop"

    def client(self, token: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key=token, max_retries=0, timeout=DEADLINE)

    def raw(self, method: str, path: str, body: bytes | None = None, host: str | None = None, **headers: str) -> Reply:
        """One request with exactly these headers (Host included), as curl or a browser would send it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            for name, value in headers.items():
                conn.putheader(name.replace("_", "-"), value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def chat(self, token: str, **fields: Any) -> Reply:
        body = {"model": "echo", "messages": [{"role": "user", "content": "hello"}], **fields}
        return self.raw("POST", "/v1/chat/completions", json.dumps(body).encode(), Authorization=f"Bearer {token}")


@pytest.fixture
def echo_home(navllm_home: Path) -> Path:
    write_settings(navllm_home, echoEnabled=True)
    return navllm_home


@pytest.fixture
def server(echo_home: Path) -> Iterator[Server]:
    running = Server().start()
    try:
        yield running
    finally:
        running.stop()


SERVE = [sys.executable, "-m", "navllm", "serve", "--port", "0"]


def serve_env(home: Path) -> dict[str, str]:
    return {**os.environ, "NAVLLM_HOME": str(home), "PYTHONPATH": str(ROOT / "host")}


class DaemonProcess:
    """``navllm serve --port 0`` as the user runs it, in its own process; ``port`` once it listens."""

    def __init__(self, home: Path, *args: str):
        self.home = home
        self.proc = subprocess.Popen(
            [*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=serve_env(home), cwd=ROOT
        )
        self.state = self._wait_for_state()
        self.port: int = self.state["port"]

    def _wait_for_state(self, deadline: float = DEADLINE) -> dict[str, Any]:
        path = self.home / "data" / "daemon.json"
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with suppress(OSError, ValueError):  # not there yet, or being replaced
                state: dict[str, Any] = json.loads(path.read_text())
                if state["pid"] == self.proc.pid:  # not one a killed daemon left
                    return state
            assert self.proc.poll() is None, f"navllm serve exited {self.proc.returncode}: {self.proc.communicate()}"
            time.sleep(0.05)
        raise AssertionError(f"navllm serve wrote no state file within {deadline} s")

    def client(self, token: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key=token, max_retries=0, timeout=300)

    def stop(self, sig: int = signal.SIGTERM, wait_only: bool = False) -> tuple[int, str, str]:
        """Send ``sig`` (or, ``wait_only``, wait for it to end by itself); the exit status and what it printed."""
        if self.proc.poll() is None and not wait_only:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out, err


def serve_pids(home: Path) -> list[int]:
    """The live ``navllm serve`` processes started on ``home``."""
    marker = f"NAVLLM_HOME={home}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if b"serve" in (proc / "cmdline").read_bytes() and marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue  # gone meanwhile, or not a process
    return [pid for pid in found if b"zombie" not in process_state(pid)]


@pytest.fixture(autouse=True)
def no_daemon_outlives_its_test(navllm_home: Path) -> Iterator[None]:
    """End every ``navllm serve`` this test's home started (hosts start them detached, on demand)."""
    yield
    left = serve_pids(navllm_home)
    for pid in left:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + DEADLINE
    while left and time.monotonic() < end:
        left = [pid for pid in left if b"zombie" not in process_state(pid)]
        time.sleep(0.05)
    for pid in left:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def process_state(pid: int) -> bytes:
    """/proc's status of ``pid``, lowercased; a process gone reads as a zombie."""
    try:
        return Path(f"/proc/{pid}/status").read_bytes().lower()
    except OSError:
        return b"zombie"
