"""Careful file I/O for the user's state: crash-safe writes, bounded reads that report damage.

A killed writer leaves either the old file or the new one, never half, plus at most a temp file
that ``sweep_temps`` removes later. A damaged file is reported as a DataError naming it and what
to do; nothing here ever replaces a file it could not read.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .protocol.errors import ErrorName, NavError

MAX_JSON_BYTES = 4 << 20
MAX_JSON_DEPTH = 32
# A live write takes milliseconds; a temp file this old was left by an interrupted one.
STALE_TEMP_SECONDS = 30
REPAIR = "run `navllm doctor --repair` or press Repair under Status in navllm's settings: it keeps a copy and starts the file afresh"


def damaged(path: Path | str, why: str) -> NavError:
    return NavError(
        ErrorName.DATA, f"{path} is damaged or unreadable ({why}); navllm has not changed it. Restore it, or {REPAIR}", file=str(path)
    )


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name lets ``sweep_temps`` tell a dead writer's leftovers from a live write.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # not on Windows, where the user profile ACL applies
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_json(path: Path, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON value stored in ``path``; FileNotFoundError when there is none, DataError when it
    is unreadable, empty, too large, not JSON or nested deeper than MAX_JSON_DEPTH."""
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise damaged(path, f"cannot be read: {exc.strerror}") from None
    if not data:
        raise damaged(path, "it is empty")
    if len(data) > max_bytes:
        raise damaged(path, f"it is larger than {max_bytes} bytes")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise damaged(path, f"not valid JSON: {str(exc)[:200]}") from None
    if _too_deep(value):
        raise damaged(path, f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def sweep_temps(folder: Path) -> list[Path]:
    """Remove ``.NAME.*.tmp`` files interrupted writes left in ``folder``: at once when their writer
    is dead, else once stale (another host may be writing right now)."""
    removed = []
    for tmp in folder.glob(".*.tmp"):
        try:
            age = time.time() - tmp.stat().st_mtime
        except FileNotFoundError:
            continue
        pid = tmp.name[: -len(".tmp")].rsplit(".", 2)[-2]
        if age > STALE_TEMP_SECONDS or (pid.isdigit() and not alive(int(pid))):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.name == "nt", in the form type checkers know
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
