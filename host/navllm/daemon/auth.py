"""Who may talk to the daemon: the checks every request passes before a route runs.

- ``Host`` must name the loopback address and our port: a web page that rebinds its own
  domain's DNS to 127.0.0.1 sends its domain as Host, and is refused (DNS rebinding).
- No credentials in the URL: URLs end up in logs, shell history and Referer headers.
- A request with an ``Origin`` comes from a web page; only origins the user listed
  (``serveAllowedOrigins``) get through, and get CORS headers. Apps send no Origin.
- A bearer token the user made (``navllm tokens create``) names the app; the request is then
  made as the caller ``app:NAME``.
- The browser's routes (``/api/…``: its WebSocket and pairing) are for the navllm extension and
  the native host: an extension origin or none, never a web page's; they check their own
  credentials (``daemon/browser.py``, ``daemon/pairing.py``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from ..app import Core
from ..policy.origins import normalise
from ..protocol.common import Caller
from .errors import ApiError, unauthorized

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CREDENTIAL_PARAMS = frozenset({"token", "api_key", "api-key", "apikey", "key", "access_token", "auth", "authorization"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
PREFLIGHT_MAX_AGE = "600"


@dataclass
class Listening:
    """Where the server listens, known once its sockets are bound."""

    port: int = 0

    def hosts(self) -> frozenset[str]:
        return frozenset(f"{name}:{self.port}" for name in LOOPBACK_NAMES)


BROWSER_ROUTES = "/api/"
EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://")
CORE = web.AppKey("core", Core)
RELAY_SECRET = web.AppKey("relay_secret", str)  # what the native host presents, from daemon.json
LISTENING = web.AppKey("listening", Listening)
CALLER = web.RequestKey("caller", Caller)  # the app's caller, set once its token is checked


def allowed_origin(request: web.Request) -> str | None:
    """The request's Origin when the user allows it; None without one. ApiError(403) otherwise."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    if request.path.startswith(BROWSER_ROUTES):
        if origin.startswith(EXTENSION_SCHEMES):
            return origin
        raise ApiError(403, "only the navllm extension and its native host may use navllm serve's browser endpoints", "permission_error")
    allowed = {normalise(o) for o in request.app[CORE].settings.get().serve_allowed_origins}
    canonical = normalise(origin)
    if canonical is None or canonical not in allowed:
        raise ApiError(
            403, "web pages may call navllm serve only from origins listed in the setting serveAllowedOrigins", "permission_error"
        )
    return origin


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.host.lower() not in request.app[LISTENING].hosts():
        raise ApiError(421, "navllm serve answers only requests addressed to 127.0.0.1, localhost or [::1] with its port", code="bad_host")
    if CREDENTIAL_PARAMS & {name.lower() for name in request.query}:
        raise ApiError(400, "credentials go in the Authorization header, never in the URL", code="credentials_in_url")
    request.app[CORE].settings.reload()  # `navllm settings`, providers and origins apply without a restart
    origin = allowed_origin(request)
    if request.method == "OPTIONS":
        return preflight(request, origin)
    return await handler(request)


def preflight(request: web.Request, origin: str | None) -> web.Response:
    headers = {"Allow": "GET, POST, OPTIONS"}
    if origin is not None:
        headers.update(
            {
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                # The origin is one the user trusts: whatever headers its client sends may come.
                "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers", "Authorization, Content-Type"),
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            }
        )
    return web.Response(status=204, headers=headers)


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, streams included: CORS headers for an allowed origin, none otherwise."""
    origin = request.headers.get("Origin")
    response.headers["Vary"] = "Origin"
    if origin is None:
        return
    try:
        allowed = allowed_origin(request)
    except ApiError:
        return
    if allowed is not None:
        response.headers["Access-Control-Allow-Origin"] = allowed


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(BROWSER_ROUTES):
        return await handler(request)  # they check the browser's credentials themselves
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("no token: send 'Authorization: Bearer <token>' with a token from `navllm tokens create NAME`")
    gate = request.app[CORE].gate
    app = gate.persistent.apps.authenticate(token.strip(), time.time())
    if app is None:
        raise unauthorized("this token is unknown, revoked or expired; `navllm tokens list` shows the live ones")
    request[CALLER] = Caller(kind="app", origin=app.origin)
    return await handler(request)


def caller(request: web.Request) -> Caller:
    return request[CALLER]
