"""The native host as a relay: the browser's frames go to the daemon as WebSocket messages, the
daemon's replies come back as frames (split into ``part`` frames as the host splits its own).

Two threads and no event loop: the browser's pipe is read on one, the daemon's socket on the
other. When the daemon goes away, every request still waiting gets an OperationError and the
host ends; the browser starts it again, and the new host finds a daemon or serves in-process.
"""

from __future__ import annotations

import contextlib
import json
import threading

from ..wire.framing import EndOfStream, FrameReader, FrameWriter, FramingError, Oversized, frames, recover_id
from .log import note
from .websocket import Closed, WebSocket

TYPE_CHECKING = False  # as typing's, without importing typing into every relay host (see wire/framing.py)
if TYPE_CHECKING:
    from typing import Any

TERMINAL = frozenset({"done", "error", "permission_required"})
DAEMON_GONE = "navllm serve went away; the next request starts the host again"


class Relay:
    """One browser's frames to and from the daemon, until either side ends."""

    def __init__(self, reader: FrameReader, writer: FrameWriter, link: WebSocket):
        self._reader = reader
        self._writer = writer
        self._link = link
        self._pending: set[str] = set()  # ids sent and not yet answered with their terminal reply
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._daemon_gone = False
        self._outcome: str | None = None

    def run(self, first: bytes | Oversized | None) -> tuple[bool, str | None]:
        """Relay until the browser or the daemon ends. Returns (whether the daemon went away, why
        the browser's stream became unusable, if it did)."""
        threading.Thread(target=self._replies, name="navllm-daemon-replies", daemon=True).start()
        threading.Thread(target=self._requests, args=(first,), name="navllm-reader", daemon=True).start()
        self._ended.wait()
        return self._daemon_gone, self._outcome

    def _end(self, *, daemon_gone: bool = False, error: str | None = None) -> None:
        with self._lock:
            if self._ended.is_set():
                return
            self._daemon_gone, self._outcome = daemon_gone, error
            self._ended.set()

    def _requests(self, first: bytes | Oversized | None) -> None:
        """Browser -> daemon. The frames go as they came (binary messages), so one that is not
        JSON still reaches the daemon and is answered there like any bad message."""
        item: bytes | Oversized | None = first
        while not self._ended.is_set():
            if isinstance(item, Oversized):
                self._refuse_oversized(item)
            elif item is not None and not self._send(item):
                return
            try:
                item = self._reader.read_frame()
            except Oversized as exc:
                item = exc
            except EndOfStream:
                self._end()
            except (FramingError, OSError) as exc:
                self._end(error=str(exc))
        self._link.close()  # the daemon cancels what this browser still had running

    def _send(self, body: bytes) -> bool:
        rid = recover_id(body)
        if rid is not None:
            with self._lock:
                self._pending.add(rid)
        try:
            self._link.send(body)
        except OSError:
            self._daemon_went_away()
            return False
        return True

    def _replies(self) -> None:
        """Daemon -> browser, each reply written whole or in parts under the writer's lock."""
        try:
            while True:
                body = self._link.receive()
                reply: dict[str, Any] = json.loads(body)  # for its id and whether it ends a request
                rid = str(reply.get("id"))
                if reply.get("type") in TERMINAL:
                    with self._lock:
                        self._pending.discard(rid)
                try:
                    for frame in frames(rid, body):
                        self._writer.write_bytes(frame)
                except OSError:
                    self._end()  # the browser is gone: as when its input ends
                    return
        except (Closed, OSError, ValueError):
            pass
        if not self._ended.is_set():
            self._daemon_went_away()

    def _daemon_went_away(self) -> None:
        with self._lock:
            waiting, self._pending = sorted(self._pending), set()
        note("navllm serve went away with %d request(s) waiting", len(waiting))
        with contextlib.suppress(OSError):  # the browser may be gone too
            for rid in waiting:
                self._writer.write({"id": rid, "type": "error", "error": {"name": "OperationError", "message": DAEMON_GONE}})
        self._end(daemon_gone=True)

    def _refuse_oversized(self, item: Oversized) -> None:
        """Answered here, as the in-process host answers it: the daemon takes no frame over the cap."""
        rid = recover_id(item.head, item.tail)
        if rid is None:
            note("dropped an oversized frame without a usable id")
            return
        details = {"quota": item.cap, "requested": item.length}
        self._writer.write({"id": rid, "type": "error", "error": {"name": "QuotaExceededError", "message": str(item), "details": details}})
