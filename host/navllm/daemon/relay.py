"""Apps' requests on the host's own dispatcher, each with its own stream of replies.

The dispatcher is the native host's (per-origin bounds, policy, handlers): an app is one more
origin on it. This module only routes its replies back to the HTTP request that is waiting.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from ..app import Core
from ..dispatch.dispatcher import APP_CALLERS, Dispatcher
from ..protocol import Envelope
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import Cancel
from ..protocol.replies import Done, Error, PermissionRequired, Reply

TERMINAL = (Done, Error, PermissionRequired)


def request_id() -> str:
    return secrets.token_hex(8)


class Relay:
    def __init__(self, core: Core):
        self._waiting: dict[str, asyncio.Queue[Reply]] = {}
        self.dispatcher = Dispatcher(self._deliver, core.handlers(), callers=APP_CALLERS)

    def _deliver(self, reply: Reply) -> None:
        queue = self._waiting.get(reply.id)
        if queue is not None:
            queue.put_nowait(reply)

    async def stream(self, request: Envelope) -> AsyncGenerator[Reply, None]:
        """Every reply to ``request``, the terminal one last. Leaving early (the app went away)
        cancels the request, as a page's abort does. Use it under ``contextlib.aclosing``."""
        queue: asyncio.Queue[Reply] = asyncio.Queue()
        self._waiting[request.id] = queue
        ended = False
        try:
            self.dispatcher.start(request)
            while not ended:
                reply = await queue.get()
                ended = isinstance(reply, TERMINAL)
                yield reply
        finally:
            del self._waiting[request.id]
            if not ended:
                self.dispatcher.start(Cancel(id=request_id(), caller=request.caller, target=request.id))

    async def call(self, request: Envelope) -> Any:
        """The ``done`` data of ``request``; its error raised as a NavError."""
        async with aclosing(self.stream(request)) as replies:
            async for reply in replies:
                if isinstance(reply, TERMINAL):
                    return outcome(reply)
        raise AssertionError("a stream ends with its terminal reply")

    def send(self, request: Envelope) -> None:
        """Start ``request`` and ignore its answer (closing what an app left behind)."""
        self.dispatcher.start(request)

    async def close(self) -> None:
        await self.dispatcher.close()


def outcome(reply: Reply) -> Any:
    """A terminal reply's data, or its error raised."""
    if isinstance(reply, Done):
        return reply.data
    if isinstance(reply, Error):
        raise NavError(ErrorName(reply.error.name), reply.error.message, **(reply.error.details or {}))
    raise NavError(ErrorName.NOT_ALLOWED, "this app may not use that provider")  # apps are never asked: their token decides
