"""``--idle-exit MINUTES``: the daemon stops once nothing has used it for that long.

Busy means a request in flight, and a browser's WebSocket is one request for as long as it is
open; so a daemon with a browser attached, or an app waiting for a reply, never stops. Daemons the
native host starts on demand use it, so a model is not held once every browser has gone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress

from aiohttp import web

from .auth import Handler

log = logging.getLogger(__name__)


class Activity:
    def __init__(self) -> None:
        self.busy = 0
        self.since = time.monotonic()  # when ``busy`` last changed

    @web.middleware
    async def track(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._step(1)
        try:
            return await handler(request)
        finally:
            self._step(-1)

    def _step(self, step: int) -> None:
        self.busy += step
        self.since = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.busy else time.monotonic() - self.since


async def stop_when_idle(activity: Activity, minutes: float, stop: asyncio.Event) -> None:
    """Set ``stop`` once ``activity`` has been idle for ``minutes``."""
    limit = minutes * 60
    while not stop.is_set():
        left = limit - activity.idle_for()
        if left <= 0:
            log.info("idle for %g minute(s): stopping", minutes)
            stop.set()
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(left, 30.0))
