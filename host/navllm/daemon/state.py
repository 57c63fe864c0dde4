"""One daemon per user: a lock held for the process's life, and a state file saying where it listens.

The lock is an OS file lock (``flock``; ``msvcrt.locking`` on Windows), so it is released when the
process ends however it ends: a killed daemon leaves no lock behind. The state file (0600,
``link.state``) names the pid and port, for clients, for a second ``navllm serve`` to say who
holds the lock, and for the native host, with the relay secret it authenticates with.

Only the lock holder writes or removes the state file, so a daemon that loses the lock never
touches the winner's. A file found when the lock is taken was left by a daemon that was killed
(the lock was free, so its writer is gone): the new holder removes it at once and writes its own
once it listens. Until then a client that reads a dead daemon's file finds its pid gone or its
port not answering with the relay secret, and treats it as no daemon.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO

from ..atomic import write_atomic
from ..link.state import DEFAULT_PORT as DEFAULT_PORT  # where navllm serve listens unless told
from ..link.state import read_state, state_path
from ..paths import data_dir
from ..protocol.errors import ErrorName, NavError

LOCK_NAME = "daemon.lock"


class DaemonLock:
    """Held while this process is the user's daemon."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock, or NavError naming the process and port that hold it."""
        handle = open(data_dir() / LOCK_NAME, "a+b")  # noqa: SIM115 - held open for the process's life
        try:
            _lock(handle)
        except OSError:
            handle.close()
            state = read_state() or {}
            where = f" (pid {state.get('pid')}, port {state.get('port')})" if state else ""
            raise NavError(ErrorName.INVALID_STATE, f"navllm serve is already running{where}; one daemon per user") from None
        self._file = handle
        state_path().unlink(missing_ok=True)  # a killed daemon's: clients stop chasing it before we listen

    def publish(self, port: int, relay_secret: str) -> None:
        """Say where this daemon listens (only the lock holder writes the state file)."""
        write_atomic(state_path(), json.dumps({"pid": os.getpid(), "port": port, "relaySecret": relay_secret}).encode())

    def release(self) -> None:
        if self._file is None:
            return
        state_path().unlink(missing_ok=True)  # before the lock goes: the next holder's file is never ours to remove
        self._file.close()  # closing drops the lock
        self._file = None


def _lock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
