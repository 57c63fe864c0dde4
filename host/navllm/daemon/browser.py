"""``GET /api/browser``: a browser's native-messaging conversation over a WebSocket.

The native host relaying for its browser (no ``Origin``) or the extension itself (an extension
origin; a Snap or Flatpak browser that cannot start the native host) opens it. Its first message
is ``{"type": "auth", "token": …}``: the relay secret from ``daemon.json`` or a paired browser's
token; anything else closes it with 4401. Then every message is one request of the native
protocol, answered by reply messages, whole (a WebSocket needs no ``part`` frames), on a
dispatcher of its own for pages and the extension, on the daemon's one core: every browser shares
the loaded model, the sessions and the policy. Messages are bounded as frames are (8 MiB, 64
levels of nesting); a bad one gets its error and the connection carries on.

Connections opened with a paired browser's token are kept by its name, so a browser forgetting
its pairing (``POST /api/pair/forget``) closes every one of them, its own and any opened with a
copy of its token; a token revoked from another process (``navllm tokens revoke browser:NAME``)
closes them within REVOCATION_CHECK seconds.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import suppress

from aiohttp import WSMsgType, web

from .. import PROTOCOL_VERSION, __version__
from ..dispatch.dispatcher import BROWSER_CALLERS, Dispatcher
from ..dispatch.frames import frame_submitter, reply_body
from ..protocol.replies import Reply
from ..wire.framing import DEFAULT_INPUT_CAP
from .auth import CORE, RELAY_SECRET

log = logging.getLogger(__name__)
AUTH_DEADLINE = 10.0  # seconds a client has to authenticate once connected
UNAUTHORIZED = 4401  # the close code for a missing or wrong credential, and nothing more said
RELAY = ""  # who a connection opened with the relay secret is, among paired browsers' names
REVOCATION_CHECK = 2.0  # seconds between checks that the open connections' tokens still hold


class Connections:
    """The open connections of each paired browser, by its name."""

    def __init__(self) -> None:
        self._open: dict[str, set[web.WebSocketResponse]] = {}

    def add(self, name: str, socket: web.WebSocketResponse) -> None:
        self._open.setdefault(name, set()).add(socket)

    def discard(self, name: str, socket: web.WebSocketResponse) -> None:
        sockets = self._open.get(name, set())
        sockets.discard(socket)
        if not sockets:
            self._open.pop(name, None)

    async def close(self, name: str) -> None:
        """Close ``name``'s connections as a refused credential is closed (4401), all at once: each
        close waits for its client's answer (a bounded wait), and one slow client delays no other."""
        await asyncio.gather(*(socket.close(code=UNAUTHORIZED) for socket in self._open.pop(name, ())))

    async def close_revoked(self, holding: Callable[[], set[str]], stop: asyncio.Event) -> None:
        """Until ``stop``, close the connections of browsers no longer among ``holding()`` (the
        names whose tokens hold): a revocation by ``navllm tokens``, which this process cannot see
        happen. One query per check, and none while no paired browser is connected."""
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REVOCATION_CHECK)
            if not self._open:
                continue
            live = holding()
            for name in [name for name in self._open if name not in live]:
                log.info("%s's token was revoked: closing its connections", name)
                await self.close(name)


CONNECTIONS = web.AppKey("connections", Connections)


async def browser_socket(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse(max_msg_size=DEFAULT_INPUT_CAP, compress=False)
    await socket.prepare(request)
    name = await _authenticated(request, socket)
    if name is None:
        await socket.close(code=UNAUTHORIZED)
        return socket
    if name != RELAY:
        request.app[CONNECTIONS].add(name, socket)
    await socket.send_str(json.dumps({"type": "auth", "ok": True, "host": __version__, "protocol": PROTOCOL_VERSION}))
    outbox: asyncio.Queue[bytes | None] = asyncio.Queue()

    def send(reply: Reply) -> None:
        outbox.put_nowait(reply_body(reply))

    # Each connection is one browser: its tab ids and private windows are its own (policy/gate.py).
    core, browser = request.app[CORE], secrets.token_hex(8)
    dispatcher = Dispatcher(send, core.handlers(), callers=BROWSER_CALLERS, browser=browser)
    submit = frame_submitter(dispatcher)
    writer = asyncio.create_task(_write(socket, outbox))
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                submit(message.data.encode("utf-8"))
            elif message.type == WSMsgType.BINARY:
                submit(message.data)
    finally:
        request.app[CONNECTIONS].discard(name, socket)
        await dispatcher.close()  # the browser went away: what it still had running is cancelled
        core.gate.end_incognito(browser)  # and its private windows with it
        outbox.put_nowait(None)
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(writer, 1.0)
    return socket


async def _write(socket: web.WebSocketResponse, outbox: asyncio.Queue[bytes | None]) -> None:
    """Replies in order, until the connection ends."""
    while (body := await outbox.get()) is not None:
        if socket.closed:
            continue  # nobody to read it; the queue still drains to its end
        with suppress(ConnectionError):
            await socket.send_str(body.decode("utf-8"))


async def _authenticated(request: web.Request, socket: web.WebSocketResponse) -> str | None:
    """Who the first message's credential names: RELAY for the relay secret, a paired browser's
    name for its token; None for anything else."""
    try:
        first = await socket.receive(timeout=AUTH_DEADLINE)
        message = json.loads(first.data) if first.type == WSMsgType.TEXT else None
    except (TimeoutError, ValueError):
        return None
    token = message.get("token") if isinstance(message, dict) and message.get("type") == "auth" else None
    if not isinstance(token, str) or not token:
        return None
    if hmac.compare_digest(token.encode("utf-8", "surrogatepass"), request.app[RELAY_SECRET].encode()):
        log.info("a browser's native host connected to relay")
        return RELAY
    browser = request.app[CORE].gate.persistent.apps.authenticate(token, time.time(), browser=True)
    if browser is None:
        return None
    log.info("%s connected", browser.name)
    return browser.name
