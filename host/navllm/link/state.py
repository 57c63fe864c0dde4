"""Where the user's daemon listens: ``daemon.json`` in the data folder (0600), written by the
daemon once its sockets are bound and removed when it stops: its pid, its port, and the relay
secret the native host proves itself with (only the same user can read the file)."""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import data_dir

TYPE_CHECKING = False  # as typing's, without importing typing into every relay host (see wire/framing.py)
if TYPE_CHECKING:
    from typing import Any

STATE_NAME = "daemon.json"
DEFAULT_PORT = 11480  # beside Ollama's 11434; nothing well known uses it
ALREADY_RUNNING = 75  # navllm serve's exit status when another daemon holds the lock (EX_TEMPFAIL: it is there, try it)


def state_path() -> Path:
    return data_dir() / STATE_NAME


def read_state() -> dict[str, Any] | None:
    """What the running daemon wrote about itself, or None."""
    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None
