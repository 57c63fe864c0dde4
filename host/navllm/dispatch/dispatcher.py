"""Route validated requests to handlers, many at once, each ending with one terminal reply."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..protocol import AdminRequest, Envelope, NavError, parse_request, request_id
from ..protocol.errors import ErrorName
from ..protocol.page import Cancel
from ..protocol.replies import Done, Error, ErrorBody, PermissionAsk, PermissionRequired, Reply
from .responder import Responder

log = logging.getLogger(__name__)

Handler = Callable[[Any, Responder], Awaitable[Any]]


class PermissionNeeded(Exception):
    """Raised by policy when the user has not decided yet; the request ends with ``permission_required``."""

    def __init__(self, ask: PermissionAsk):
        super().__init__(f"permission needed for {ask.origin}")
        self.ask = ask


@dataclass(frozen=True)
class Limits:
    per_origin: int = 4
    overall: int = 16


class Dispatcher:
    """Owns the in-flight requests of one port.

    Page requests are bounded per origin and overall (excess requests wait their turn);
    extension-page requests skip the page limits so settings stay responsive under load.
    """

    def __init__(self, send: Callable[[Reply], None], handlers: dict[type[Envelope], Handler], limits: Limits = Limits()):
        self._send = send
        self._handlers = handlers
        self._limits = limits
        self._overall = asyncio.Semaphore(limits.overall)
        self._per_origin: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_origin))
        self._inflight: dict[str, tuple[Envelope, asyncio.Task[None]]] = {}

    def submit(self, raw: Any) -> None:
        """Accept one decoded message, answering an invalid one with its error; never raises."""
        rid = request_id(raw)
        try:
            request = parse_request(raw)
        except NavError as err:
            self._fail(rid, err)
            return
        self.start(request)

    def start(self, request: Envelope) -> None:
        """Run one already validated request; never raises."""
        if request.id in self._inflight:
            self._fail(request.id, NavError(ErrorName.INVALID_STATE, f"request id {request.id!r} is already in flight"))
            return
        if isinstance(request, Cancel):
            self._cancel(request)
            return
        task = asyncio.get_running_loop().create_task(self._run(request), name=f"request {request.id}")
        self._inflight[request.id] = (request, task)
        task.add_done_callback(lambda _t, rid=request.id: self._inflight.pop(rid, None))

    async def close(self) -> None:
        """Cancel everything in flight (the port is gone) and wait for handlers to unwind."""
        tasks = [task for _, task in self._inflight.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def _cancel(self, request: Cancel) -> None:
        target = self._inflight.get(request.target)
        # A caller may only cancel its own requests.
        if target is not None and target[0].caller.origin == request.caller.origin:
            target[1].cancel()
        self._send(Done(id=request.id, data={"cancelled": target is not None}))

    async def _run(self, request: Envelope) -> None:
        responder = Responder(request.id, self._send)
        try:
            handler = self._handlers.get(type(request))
            if handler is None:
                raise NavError(ErrorName.NOT_SUPPORTED, f"{request.type!r} is not supported by this host")
            if isinstance(request, AdminRequest):
                if not request.caller.is_admin:
                    raise NavError(ErrorName.NOT_ALLOWED, "settings can only be changed from the navllm extension's own pages")
                data = await handler(request, responder)
            else:
                async with self._per_origin[request.caller.origin], self._overall:
                    data = await handler(request, responder)
            self._send(Done(id=request.id, data=data))
        except NavError as err:
            self._fail(request.id, err)
        except PermissionNeeded as need:
            self._send(PermissionRequired(id=request.id, ask=need.ask))
        except asyncio.CancelledError:
            self._fail(request.id, NavError(ErrorName.ABORT, "the request was cancelled"))
        except Exception:  # a bug in a handler must not take the other requests down
            log.exception("handler for %r failed", request.type)
            self._fail(request.id, NavError(ErrorName.OPERATION, "the host hit an internal error; see its log"))

    def _fail(self, rid: str | None, err: NavError) -> None:
        if rid is None:
            log.warning("dropped a message without a usable id: %s", err.message)
            return
        self._send(Error(id=rid, error=ErrorBody(**err.to_wire())))
