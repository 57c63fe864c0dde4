"""Pairing a browser that cannot start the native host (Snap, Flatpak) with the daemon.

The extension asks ``POST /api/pair`` with its label; the daemon makes a 6-digit code and shows
it only where the user is: its terminal, its log, and ``navllm pair`` (which reads
``pairing.json``, 0600, in the data folder). The user types the code into the extension, which
sends ``POST /api/pair/confirm`` and gets a browser token for ``/api/browser``. One pairing at a
time (a new one replaces it), for 300 s, voided by the third wrong code; codes are compared in
constant time. Three guesses at a million codes give a page or process that cannot see the code
one chance in 333,333, and it must start over where the user sees a new code appear.

A browser forgetting its pairing sends ``POST /api/pair/forget`` with its token as the bearer:
the token is revoked (as ``navllm tokens revoke browser:NAME`` does) and every connection opened
with it closed, so a copy of the token opens nothing any more.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from ..atomic import write_atomic
from ..paths import data_dir
from .auth import CORE, EXTENSION_SCHEMES
from .browser import CONNECTIONS
from .errors import ApiError, dumps, unauthorized
from .openai_api import json_body

log = logging.getLogger(__name__)
PAIRING_NAME = "pairing.json"
LIFETIME = 300.0  # seconds a code is good for
TRIES = 3  # wrong codes that void a pairing
MAX_LABEL = 64


def pairing_path() -> Path:
    return data_dir() / PAIRING_NAME


@dataclass
class Pending:
    id: str
    browser: str
    code: str
    expires_at: float
    wrong: int = 0


class Pairings:
    """The one pairing waiting for its code, if any."""

    def __init__(self) -> None:
        self._pending: Pending | None = None

    def start(self, browser: str, now: float) -> Pending:
        pending = Pending(secrets.token_urlsafe(16), browser, f"{secrets.randbelow(10**6):06d}", now + LIFETIME)
        self._pending = pending
        write_atomic(pairing_path(), json.dumps({"browser": browser, "code": pending.code, "expiresAt": pending.expires_at}).encode())
        # Shown where only the user looks: the daemon's terminal and its 0600 log (and `navllm pair`).
        print(f"navllm serve: pairing code for {browser!r}: {pending.code} (good for {LIFETIME:.0f} s)", flush=True)
        log.info("pairing code for %r: %s", browser, pending.code)
        return pending

    def confirm(self, pairing: str, code: str, now: float) -> str:
        """The browser label the code confirms; ApiError when it does not, voiding the pairing on the third wrong code."""
        pending = self._pending
        if pending is None or not hmac.compare_digest(pending.id.encode(), pairing.encode()) or now >= pending.expires_at:
            raise ApiError(404, "no such pairing: it expired, was replaced or was voided; start again", code="pairing_not_found")
        if not hmac.compare_digest(pending.code.encode(), code.encode()):
            pending.wrong += 1
            if pending.wrong >= TRIES:
                self.end()
                raise ApiError(403, f"wrong code {TRIES} times: the pairing is void; start again", "permission_error", code="pairing_void")
            raise ApiError(403, f"wrong code; {TRIES - pending.wrong} tries left", "permission_error", code="wrong_code")
        self.end()
        return pending.browser

    def end(self) -> None:
        self._pending = None
        pairing_path().unlink(missing_ok=True)


PAIRINGS = web.AppKey("pairings", Pairings)


async def pair(request: web.Request) -> web.Response:
    label = _field(await _body(request), "browser", MAX_LABEL)
    pending = request.app[PAIRINGS].start(label, time.time())
    return web.json_response({"pairing": pending.id, "expiresIn": round(LIFETIME)}, dumps=dumps)


async def confirm(request: web.Request) -> web.Response:
    body = await _body(request)
    label = request.app[PAIRINGS].confirm(_field(body, "pairing", 64), _field(body, "code", 16), time.time())
    name, token = request.app[CORE].gate.persistent.apps.pair_browser(label, time.time())
    log.info("paired %s", name)
    return web.json_response({"token": token, "name": name}, dumps=dumps)


async def forget(request: web.Request) -> web.Response:
    """The browser holding the bearer token ends its pairing: the token revoked, its connections closed."""
    _from_extension(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    apps = request.app[CORE].gate.persistent.apps
    browser = apps.authenticate(token.strip(), time.time(), browser=True) if scheme.lower() == "bearer" and token.strip() else None
    if browser is None:
        raise unauthorized("this browser's pairing is unknown or already revoked")
    apps.revoke(browser.name)
    await request.app[CONNECTIONS].close(browser.name)
    log.info("%s forgot its pairing: its token is revoked", browser.name)
    return web.json_response({"revoked": browser.name}, dumps=dumps)


def _from_extension(request: web.Request) -> None:
    if not request.headers.get("Origin", "").startswith(EXTENSION_SCHEMES):
        raise ApiError(403, "browsers pair from the navllm extension", "permission_error")


async def _body(request: web.Request) -> dict[str, Any]:
    _from_extension(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", code="invalid_request")
    return body


def _field(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ApiError(400, f"{name} must be a string of 1-{limit} characters", param=name, code="invalid_request")
    return value.strip()


def read_pending(now: float) -> dict[str, Any] | None:
    """The pairing waiting for its code, as ``navllm pair`` shows it; None when none is live."""
    try:
        pending = json.loads(pairing_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(pending, dict) or not isinstance(pending.get("expiresAt"), int | float) or pending["expiresAt"] <= now:
        return None
    return pending
