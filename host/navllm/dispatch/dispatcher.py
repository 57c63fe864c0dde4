"""Route validated requests to handlers, many at once, each ending with one terminal reply."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..policy import PermissionNeeded
from ..protocol import AdminRequest, Caller, Envelope, NavError, parse_request, request_id
from ..protocol.errors import ErrorName
from ..protocol.page import Cancel, Hello
from ..protocol.replies import Done, Error, ErrorBody, PermissionRequired, Reply
from .responder import Responder

log = logging.getLogger(__name__)

Handler = Callable[[Any, Responder], Awaitable[Any]]


@dataclass(frozen=True)
class Limits:
    per_origin: int = 4  # page requests running at once, per origin
    overall: int = 16  # ... and in all
    queued_per_origin: int = 32  # page requests in flight, waiting ones included, per origin
    queued_overall: int = 128  # ... and in all
    queued_admin: int = 64  # extension-page requests in flight, apart from the pages'


# Who may speak on a port: the browser's port carries pages and the extension; ``navllm serve``
# builds its own app callers from the token it checked, and only those.
BROWSER_CALLERS = frozenset({"page", "extension"})
APP_CALLERS = frozenset({"app"})


class Dispatcher:
    """Owns the in-flight requests of one port.

    Page requests are bounded per origin and overall: a few run, more wait their turn, and
    beyond that a request is refused at once with QuotaExceededError, so a flood from one
    origin costs that origin alone. Extension-page requests skip the page limits and have a
    bound of their own, so settings stay responsive under load. ``cancel`` is never refused.
    """

    def __init__(
        self,
        send: Callable[[Reply], None],
        handlers: dict[type[Envelope], Handler],
        limits: Limits = Limits(),
        callers: frozenset[str] = BROWSER_CALLERS,
        browser: str | None = None,
    ):
        """``browser``: who this port's callers are when one process serves several browsers (a
        daemon's connection), stamped on every request whatever its frame says."""
        self._send = send
        self._callers = callers
        self._browser = browser
        self._handlers = handlers
        self._limits = limits
        self._overall = asyncio.Semaphore(limits.overall)
        self._per_origin: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_origin))
        self._inflight: dict[str, tuple[Envelope, asyncio.Task[None]]] = {}
        self._by_origin: Counter[str] = Counter()
        self._pages = 0
        self._admin = 0

    def submit(self, raw: Any) -> None:
        """Accept one decoded message, answering an invalid one with its error; never raises."""
        rid = request_id(raw)
        try:
            request = parse_request(raw)
        except NavError as err:
            self.refuse(rid, err)
            return
        self.start(request)

    def start(self, request: Envelope) -> None:
        """Run one already validated request; never raises."""
        if request.id in self._inflight:
            self.refuse(request.id, NavError(ErrorName.INVALID_STATE, f"request id {request.id!r} is already in flight"))
            return
        if request.caller.kind not in self._callers:
            self.refuse(request.id, NavError(ErrorName.NOT_ALLOWED, f"{request.caller.kind} callers cannot reach this port"))
            return
        if request.caller.browser != self._browser:
            request = request.model_copy(update={"caller": request.caller.model_copy(update={"browser": self._browser})})
        if isinstance(request, Cancel):
            self._cancel(request)
            return
        over = self._over_limit(request.caller)
        if over is not None:
            self.refuse(request.id, over)
            return
        task = asyncio.get_running_loop().create_task(self._run(request), name=f"request {request.id}")
        self._inflight[request.id] = (request, task)
        self._count(request.caller, 1)
        task.add_done_callback(functools.partial(self._finished, request))

    def refuse(self, rid: str | None, err: NavError) -> None:
        """End request ``rid`` with ``err`` before it ran (a message without a usable id is only logged)."""
        if rid is None:
            log.warning("dropped a message without a usable id: %s", err.message)
            return
        self._send(Error(id=rid, error=ErrorBody(**err.to_wire())))

    async def close(self) -> None:
        """Cancel everything in flight (the port is gone) and wait for handlers to unwind."""
        tasks = [task for _, task in self._inflight.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def _over_limit(self, caller: Caller) -> NavError | None:
        if caller.is_admin:
            if self._admin >= self._limits.queued_admin:
                return _busy("the extension's pages have", self._admin, self._limits.queued_admin)
            return None
        mine = self._by_origin[caller.origin]
        if mine >= self._limits.queued_per_origin:
            return _busy(f"{caller.origin[:256]} has", mine, self._limits.queued_per_origin)
        if self._pages >= self._limits.queued_overall:
            return _busy("pages have", self._pages, self._limits.queued_overall)
        return None

    def _count(self, caller: Caller, step: int) -> None:
        self._by_origin[caller.origin] += step
        if caller.is_admin:
            self._admin += step
        else:
            self._pages += step

    def _finished(self, request: Envelope, task: asyncio.Task[None]) -> None:
        if task.cancelled():  # cancelled before it first ran, so _run could neither answer nor release
            self.refuse(request.id, NavError(ErrorName.ABORT, "the request was cancelled"))
            self._release(request)

    def _release(self, request: Envelope) -> None:
        """Free the request's place, in the same step as its terminal reply: a client that sends
        the next request on reading that reply must find the place free."""
        if self._inflight.pop(request.id, None) is None:
            return
        self._count(request.caller, -1)
        origin = request.caller.origin
        if not self._by_origin[origin]:  # nothing of this origin waits: forget it, so origins cannot pile up
            del self._by_origin[origin]
            self._per_origin.pop(origin, None)

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
            elif isinstance(request, Hello):
                # The background's liveness probe: it must not wait for a running slot, or a
                # host busy with long generations would be taken for a wedged one and killed.
                data = await handler(request, responder)
            else:
                async with self._per_origin[request.caller.origin], self._overall:
                    data = await handler(request, responder)
            self._send(Done(id=request.id, data=data))
        except NavError as err:
            self.refuse(request.id, err)
        except PermissionNeeded as need:
            self._send(PermissionRequired(id=request.id, ask=need.ask))
        except asyncio.CancelledError:
            self.refuse(request.id, NavError(ErrorName.ABORT, "the request was cancelled"))
        except Exception:  # a bug in a handler must not take the other requests down
            log.exception("handler for %r failed", request.type)
            self.refuse(request.id, NavError(ErrorName.OPERATION, "the host hit an internal error; see its log"))
        finally:
            self._release(request)


def _busy(who: str, inflight: int, quota: int) -> NavError:
    return NavError(
        ErrorName.QUOTA_EXCEEDED, f"{who} {inflight} requests in flight; wait for some to finish", quota=quota, requested=inflight + 1
    )
