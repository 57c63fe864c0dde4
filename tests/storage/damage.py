"""Ways a file on disk gets damaged, and the real host the storage tests drive."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from tests.support.host_process import ADMIN, HostProcess

PASSPHRASE = "correct horse battery staple"
KEY = "sk-storage-Xq4Lm9Vr2Tt7Wp3Zs8Nc5"
SQLITE_PAGE = 4096


def flip(data: bytes, start: int, count: int = 8) -> bytes:
    out = bytearray(data)
    for i in range(start, min(start + count, len(out))):
        out[i] ^= 0xFF
    return bytes(out)


def corrupt(data: bytes, how: str, kind: str) -> bytes:
    """``data`` damaged ``how``: empty, half, flipped, garbage or shape (valid syntax, wrong content)."""
    if how == "empty":
        return b""
    if how == "half":
        return data[: len(data) // 2]
    if how == "garbage":
        return random.Random(11).randbytes(max(len(data), 512))
    if how == "flipped":
        if kind == "sqlite":  # a btree page header in the middle: SQLite's quick check must notice
            return flip(data, (len(data) // SQLITE_PAGE // 2) * SQLITE_PAGE)
        if kind == "vault":  # inside the header; flipped ciphertext is indistinguishable from a wrong passphrase
            return flip(data, 2)
        return flip(data, len(data) // 2)
    assert how == "shape"
    if kind == "sqlite":
        other = Path(__file__).parent / ".other.db"
        other.unlink(missing_ok=True)
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE notes (body TEXT)")
        db.commit()
        db.close()
        try:
            return other.read_bytes()
        finally:
            other.unlink()
    if kind == "vault":
        return b'["not", "a", "header"]\n' + bytes(40)
    return json.dumps(["a", "list", {"not": "an object"}]).encode()


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file (the host exits with os._exit and leaves it) so the file alone is the state."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class Host:
    def __init__(self, home: Path):
        self.proc = HostProcess(home)

    def call(self, type_: str, caller: dict | None = None, **fields) -> dict:
        return self.proc.call(type_, caller, **fields)

    def admin(self, type_: str, **fields) -> dict:
        return self.proc.call(type_, ADMIN, **fields)

    def ok(self, type_: str, **fields):
        reply = self.admin(type_, **fields)
        assert reply["type"] == "done", reply
        return reply.get("data")

    def close(self) -> int:
        return self.proc.close()


def data_error(reply: dict, path: Path) -> str:
    """Assert ``reply`` is a DataError naming ``path`` and saying what to do; return its message."""
    assert reply["type"] == "error", reply
    error = reply["error"]
    assert error["name"] == "DataError", error
    assert str(path) in error["message"] and "navllm doctor --repair" in error["message"], error
    return error["message"]
