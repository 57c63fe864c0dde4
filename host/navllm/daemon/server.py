"""The daemon's HTTP server: the application, its error handling, and its life from bind to stop.

aiohttp serves it: a maintained asyncio HTTP server (and client) in one dependency, whose
streaming responses carry Server-Sent Events; the host is asyncio already. It listens on the
loopback addresses only (127.0.0.1, and ::1 where there is one) and logs no request line of its
own making (no query string, no header), so nothing secret lands in a log.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
from collections.abc import Callable
from contextlib import suppress

from aiohttp import web

from .. import app as composition
from ..paths import log_to
from ..wire.framing import DEFAULT_INPUT_CAP
from .auth import CORE, LISTENING, RELAY_SECRET, Handler, Listening, authenticate, cors_headers, guard
from .browser import CONNECTIONS, Connections, browser_socket
from .errors import ApiError
from .idle import Activity, stop_when_idle
from .openai_api import RELAY, add_routes
from .pairing import PAIRINGS, Pairings, confirm, forget, pair
from .relay import Relay
from .state import DaemonLock

log = logging.getLogger(__name__)
MAX_BODY = DEFAULT_INPUT_CAP  # what the native host takes in one frame
SHUTDOWN_GRACE = 2.0  # seconds open streams get to end on a stop
# SIGHUP: a foreground daemon's terminal closed. Windows has no SIGHUP.
STOP_SIGNALS = tuple(sig for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if sig is not None)


@web.middleware
async def openai_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure in OpenAI's shape, each request on its own: one bad request costs only itself."""
    try:
        return await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPException as exc:  # aiohttp's own: no such route (404), wrong method (405), body too large (413)
        if exc.status < 400:
            raise
        return ApiError(exc.status, exc.reason, "invalid_request_error", code=exc.reason.lower().replace(" ", "_")).response()
    except ConnectionError:
        raise  # the app went away: there is no one to answer
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return ApiError(500, "navllm serve hit an internal error; see its log", "server_error").response()


def make_app(core: composition.Core, relay: Relay, listening: Listening, relay_secret: str, activity: Activity) -> web.Application:
    app = web.Application(middlewares=[activity.track, openai_errors, guard, authenticate], client_max_size=MAX_BODY)
    app[CORE] = core
    app[RELAY] = relay
    app[LISTENING] = listening
    app[RELAY_SECRET] = relay_secret
    app[PAIRINGS] = Pairings()
    app[CONNECTIONS] = Connections()
    app.on_response_prepare.append(cors_headers)
    add_routes(app)
    app.router.add_get("/api/browser", browser_socket)
    app.router.add_post("/api/pair", pair)
    app.router.add_post("/api/pair/confirm", confirm)
    app.router.add_post("/api/pair/forget", forget)
    return app


async def serve(port: int, ready: Callable[[int, str], None], stop: asyncio.Event, idle_minutes: float | None = None) -> None:
    """Listen on ``port`` (0: any free one) until ``stop`` is set (or, with ``idle_minutes``, until
    unused that long); ``ready`` gets the port bound and the relay secret for the state file."""
    core = composition.core()
    relay = Relay(core)
    listening = Listening()
    activity = Activity()
    relay_secret = secrets.token_urlsafe(32)  # 256 random bits, new at every start
    app = make_app(core, relay, listening, relay_secret, activity)
    # handler_cancellation: a request whose app disconnects is cancelled, which stops its generation.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=SHUTDOWN_GRACE)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port, reuse_address=False).start()
        listening.port = _bound_port(runner)
        with suppress(OSError):  # no IPv6 loopback here, or its port is taken: IPv4 serves alone
            await web.TCPSite(runner, "::1", listening.port, reuse_address=False).start()
        ready(listening.port, relay_secret)
        revoked = app[CONNECTIONS].close_revoked(lambda: {held.name for held in core.gate.persistent.apps.all()}, stop)
        asyncio.get_running_loop().create_task(revoked)
        if idle_minutes is not None:
            asyncio.get_running_loop().create_task(stop_when_idle(activity, idle_minutes, stop))
        await stop.wait()
    finally:
        app[PAIRINGS].end()
        await runner.cleanup()
        await relay.close()
        core.gate.close()


def _bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    port: int = address[1]
    return port


def run(lock: DaemonLock, port: int, idle_minutes: float | None = None) -> int:
    """``navllm serve``, ``lock`` taken: the daemon in the foreground until Ctrl-C, SIGTERM, SIGHUP
    (its terminal closed) or ``idle_minutes`` unused; the exit status."""
    log_to("daemon.log")
    try:
        return asyncio.run(_main(port, lock, idle_minutes))
    finally:
        lock.release()


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Each stop signal sets ``stop``, for the rest of the process's life. Not the loop's
    add_signal_handler: it puts the default action back when the loop closes, so a SIGTERM between
    that and the lock's release would kill the daemon before it removes its state file."""

    def on_signal(signum: int, frame: object) -> None:
        with suppress(RuntimeError):  # the loop has closed: the daemon is already stopping
            loop.call_soon_threadsafe(stop.set)

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)


async def _main(port: int, lock: DaemonLock, idle_minutes: float | None) -> int:
    stop = asyncio.Event()
    _stop_on_signals(asyncio.get_running_loop(), stop)

    def ready(bound: int, relay_secret: str) -> None:
        lock.publish(bound, relay_secret)
        log.info("listening on 127.0.0.1:%d", bound)
        print(f"navllm serve: listening on http://127.0.0.1:{bound}/v1 (Ctrl-C stops it)", flush=True)

    try:
        await serve(port, ready, stop, idle_minutes)
    except OSError as exc:
        log.error("cannot listen on port %d: %s", port, exc.strerror)
        print(f"navllm serve: cannot listen on port {port}: {exc.strerror}", file=sys.stderr)
        return 1
    log.info("stopped")
    print("navllm serve: stopped", flush=True)
    return 0
