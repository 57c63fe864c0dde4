"""``GET /api/browser``: the native protocol over a WebSocket, for the native host's relay (the
relay secret) and paired extensions; its origin rule, its 4401, its bounds, and a bad message
costing only itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from navllm.link.websocket import TEXT, Closed, WebSocket
from tests.daemon.conftest import DEADLINE, Server

PAGE = {"kind": "page", "origin": "https://example.com", "tabId": 1, "frameId": 0}
ADMIN = {"kind": "extension", "origin": "chrome-extension://test/"}
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"}


def connect(server: Server, token: str) -> tuple[WebSocket, dict[str, Any]]:
    """A browser connection; the daemon's answer to its auth message."""
    socket = WebSocket.connect(server.port, "/api/browser", DEADLINE)
    socket.send(json.dumps({"type": "auth", "token": token}).encode(), TEXT)
    return socket, json.loads(socket.receive())


def call(socket: WebSocket, message: dict[str, Any]) -> dict[str, Any]:
    """Send one request; its terminal reply (chunks skipped)."""
    socket.send(json.dumps(message).encode(), TEXT)
    while True:
        reply: dict[str, Any] = json.loads(socket.receive())
        if reply["id"] == message["id"] and reply["type"] in ("done", "error", "permission_required"):
            return reply


def refused_with(socket: WebSocket) -> int | None:
    with pytest.raises(Closed) as closed:
        socket.receive()
    return closed.value.code


def test_the_relay_secret_opens_the_native_protocol(server):
    socket, answer = connect(server, server.relay_secret)
    try:
        assert answer == {"type": "auth", "ok": True, "host": "0.1.0", "protocol": 1}
        hello = call(socket, {"id": "h", "type": "hello", "caller": ADMIN, "extensionVersion": "0.1.0", "protocol": 1})
        assert hello["type"] == "done" and hello["data"]["protocol"] == 1
        status = call(socket, {"id": "s", "type": "status", "caller": ADMIN})
        assert status["data"]["pid"] > 0 and status["data"]["sessions"] == 0
        grant = {"origin": PAGE["origin"], "state": "granted", "providers": ["local"]}
        assert call(socket, {"id": "g", "type": "grants.set", "caller": ADMIN, **grant})["type"] == "done"
        session = call(socket, {"id": "c", "type": "create", "caller": PAGE})["data"]["session"]
        say = [{"role": "user", "content": [{"type": "text", "value": "hi"}]}]
        assert call(socket, {"id": "p", "type": "prompt", "caller": PAGE, "session": session, "input": say})["type"] == "done"
    finally:
        socket.close()


@pytest.mark.parametrize("first", [{"type": "auth", "token": "navllm-wrong"}, {"type": "auth"}, {"type": "hello"}, "not json"])
def test_anything_but_a_known_credential_is_closed_with_4401(server, first):
    socket = WebSocket.connect(server.port, "/api/browser", DEADLINE)
    socket.send(first.encode() if isinstance(first, str) else json.dumps(first).encode(), TEXT)
    assert refused_with(socket) == 4401


def test_web_origins_are_refused_before_the_upgrade(server):
    page = server.raw("GET", "/api/browser", Origin="https://evil.example", **UPGRADE)
    assert page.status == 403
    assert "Upgrade" not in page.headers
    rebinding = server.raw("GET", "/api/browser", host="evil.example", **UPGRADE)
    assert rebinding.status == 421
    for origin in ("chrome-extension://mgbpedbjfbkohpmiilfdaedkkiddmnkh", "moz-extension://6f1b9d52-3c1e-4b8a-9d7e-2a4c5e6f7a80"):
        assert server.raw("GET", "/api/browser", Origin=origin, **UPGRADE).status == 101


def test_a_bad_message_gets_its_error_and_the_connection_carries_on(server):
    socket, _ = connect(server, server.relay_secret)
    try:
        assert call(socket, {"id": "n1", "type": "no-such-type", "caller": PAGE})["error"]["name"] == "NotSupportedError"
        assert call(socket, {"id": "n2", "type": "status", "caller": PAGE})["error"]["name"] == "NotAllowedError"
        app = {"kind": "app", "origin": "app:editor"}
        assert call(socket, {"id": "n3", "type": "status", "caller": app})["error"]["name"] in ("NotAllowedError", "TypeError")
        socket.send(b'{"id":"n4",' + b"[" * 100 + b"]" * 100 + b"}")  # too deep
        deep = json.loads(socket.receive())
        assert deep["id"] == "n4" and deep["error"]["name"] == "TypeError"
        socket.send(b"\xff not json")  # no id to answer: only logged
        assert call(socket, {"id": "ok", "type": "status", "caller": ADMIN})["type"] == "done"
    finally:
        socket.close()


def test_a_message_over_the_input_cap_ends_the_connection_with_1009(server):
    socket, _ = connect(server, server.relay_secret)
    body = json.dumps({"id": "big", "type": "status", "caller": ADMIN, "pad": "x" * (8 * 1024 * 1024)}).encode()
    try:
        socket.send(body)
    except ConnectionResetError:
        return  # the daemon closed (1009) as soon as it read the length, before all of it was sent
    assert refused_with(socket) in (1009, None)  # None: the reset overtook the close frame
    assert server.raw("GET", "/v1/models").status == 401  # and the daemon serves on


def test_each_browser_keeps_its_own_tabs_and_private_windows(server):
    # Tab ids are one browser's: "allow once" for tab 1 in one browser is not tab 1 of another
    # (Firefox gives no documentId to tie it to), and one browser's tab closing forgets only its
    # own; private-window decisions are each browser's and end with its last private window. A
    # frame cannot say which browser it is from.
    first, _ = connect(server, server.relay_secret)
    second, _ = connect(server, server.relay_secret)
    forged = {**PAGE, "browser": "the-first-one"}
    try:
        decide = {"type": "permission.decide", "caller": ADMIN, "origin": PAGE["origin"], "tabId": PAGE["tabId"], "decision": "once"}
        assert call(first, {"id": "d1", **decide, "providers": ["local"]})["type"] == "done"
        assert call(first, {"id": "c1", "type": "create", "caller": PAGE})["type"] == "done"
        assert call(second, {"id": "c2", "type": "create", "caller": PAGE})["type"] == "permission_required"
        assert call(second, {"id": "c3", "type": "create", "caller": forged})["type"] == "permission_required"
        assert call(second, {"id": "t", "type": "tab.closed", "caller": ADMIN, "tabId": PAGE["tabId"]})["data"] == {"forgotten": 0}
        assert call(first, {"id": "c4", "type": "create", "caller": PAGE})["type"] == "done"
        assert call(first, {"id": "t2", "type": "tab.closed", "caller": ADMIN, "tabId": PAGE["tabId"]})["data"] == {"forgotten": 1}
        assert call(first, {"id": "c5", "type": "create", "caller": PAGE})["type"] == "permission_required"

        private = {**PAGE, "incognito": True}
        always = {**decide, "incognito": True, "decision": "always", "providers": ["local"]}
        assert call(first, {"id": "d2", **always})["data"]["state"] == "granted"
        assert call(first, {"id": "c6", "type": "create", "caller": private})["type"] == "done"
        assert call(second, {"id": "c7", "type": "create", "caller": private})["type"] == "permission_required"
        assert call(second, {"id": "d3", **always})["data"]["state"] == "granted"
        assert call(second, {"id": "e", "type": "incognito.ended", "caller": ADMIN})["type"] == "done"
        assert call(second, {"id": "c8", "type": "create", "caller": private})["type"] == "permission_required"
        assert call(first, {"id": "c9", "type": "create", "caller": private})["type"] == "done"  # the first's still open
    finally:
        first.close()
        second.close()
