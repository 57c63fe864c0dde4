"""``navllm serve`` as the user runs it, for browser tests: its own process on a free port, for one
``NAVLLM_HOME``; tokens and pairing codes read from the commands the user would type."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0  # seconds for the daemon to start or stop, or a command to answer


def navllm_env(home: Path) -> dict[str, str]:
    return {**os.environ, "NAVLLM_HOME": str(home), "PYTHONPATH": str(ROOT / "host")}


def write_settings(home: Path, **values: Any) -> None:
    """Merge ``values`` into the settings file (the daemon reads it again on every request)."""
    path = home / "config" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**saved, **values}))


def navllm(home: Path, *args: str) -> str:
    """Run ``navllm ARGS`` for ``home``; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "navllm", *args], env=navllm_env(home), capture_output=True, text=True, timeout=DEADLINE, check=False
    )
    assert done.returncode == 0, f"navllm {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout


class Daemon:
    """``navllm serve --port 0``; ``port`` once it listens. Use as a context manager."""

    def __init__(self, home: Path):
        self.home = home
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "navllm", "serve", "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=navllm_env(home),
            cwd=ROOT,
        )
        try:
            self.port: int = self._wait_for_port()
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self) -> int:
        path = self.home / "data" / "daemon.json"
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            # Only this daemon's file: one a killed daemon left behind names another process.
            state = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
            if state.get("pid") == self.proc.pid:
                port: int = state["port"]
                return port
            assert self.proc.poll() is None, f"navllm serve exited {self.proc.returncode}"
            time.sleep(0.05)
        raise AssertionError(f"navllm serve wrote no state file within {DEADLINE} s")

    def token(self, name: str) -> str:
        """``navllm tokens create NAME``: the token it prints."""
        return navllm(self.home, "tokens", "create", name).strip()

    def pairing_code(self) -> str:
        """``navllm pair``: the 6-digit code it shows, read from its output as the user reads it."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "navllm", "pair"], env=navllm_env(self.home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        seen = ""
        try:
            assert proc.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(proc.stdout, selectors.EVENT_READ)
                end = time.monotonic() + DEADLINE
                while time.monotonic() < end and selector.select(end - time.monotonic()):
                    line = proc.stdout.readline()
                    if not line:
                        break
                    seen += line
                    code = re.search(r"\b\d{3} ?\d{3}\b", line)
                    if code:
                        return code.group(0).replace(" ", "")
        finally:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        raise AssertionError(f"navllm pair showed no code within {DEADLINE} s: {seen!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
