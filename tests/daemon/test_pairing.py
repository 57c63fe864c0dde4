"""Pairing a browser that cannot start the native host: the code only ``navllm pair`` and the
daemon's own output show, confirmed for a browser token that opens ``/api/browser`` (and nothing
else); three wrong codes void it, it expires, a new pairing replaces the old, revoking the token
closes the door (4401)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from navllm.daemon import browser, pairing
from tests.daemon.conftest import DEADLINE, ROOT, Reply, Server, serve_env
from tests.daemon.test_browser_socket import ADMIN, call, connect, refused_with

EXTENSION = "moz-extension://6f1b9d52-3c1e-4b8a-9d7e-2a4c5e6f7a80"


def post(server: Server, path: str, body: dict[str, Any], origin: str | None = EXTENSION) -> Reply:
    headers = {"Origin": origin} if origin else {}
    return server.raw("POST", path, json.dumps(body).encode(), Content_Type="application/json", **headers)


def navllm(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = serve_env(server.home)
    return subprocess.run([sys.executable, "-m", "navllm", *args], capture_output=True, text=True, timeout=DEADLINE, env=env, cwd=ROOT)


def shown_code(server: Server) -> str:
    """The code as the user reads it from `navllm pair`."""
    shown = navllm(server, "pair")
    assert shown.returncode == 0, shown.stderr
    assert "browser: Firefox (Flatpak)" in shown.stdout
    return shown.stdout.split("code: ")[1].split()[0]


def start(server: Server) -> str:
    started = post(server, "/api/pair", {"browser": "Firefox (Flatpak)"})
    assert started.status == 200, started.body
    assert started.headers["Access-Control-Allow-Origin"] == EXTENSION
    assert started.json()["expiresIn"] == round(pairing.LIFETIME)  # 300 s unless a test shortens it
    pairing_id: str = started.json()["pairing"]
    return pairing_id


@pytest.fixture
def paired_server(server, navllm_home):
    server.home = navllm_home
    return server


def test_pair_confirm_use_and_revoke(paired_server):
    server = paired_server
    assert navllm(server, "pair").returncode == 1  # nothing pending
    pairing_id = start(server)
    code = shown_code(server)
    assert len(code) == 6 and code.isdigit()
    assert (server.home / "data" / "pairing.json").stat().st_mode & 0o777 == 0o600
    done = post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": code})
    assert done.status == 200, done.body
    token, name = done.json()["token"], done.json()["name"]
    assert name == "browser:firefox-flatpak"
    assert navllm(server, "pair").returncode == 1  # used up
    assert post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": code}).status == 404

    socket, answer = connect(server, token)
    assert answer["ok"] is True
    assert call(socket, {"id": "s", "type": "status", "caller": ADMIN})["type"] == "done"
    socket.close()
    models = server.raw("GET", "/v1/models", Authorization=f"Bearer {token}")
    assert models.status == 401  # a browser's token is not an app's

    listed = navllm(server, "tokens", "list")
    assert name in listed.stdout and token not in listed.stdout
    assert navllm(server, "tokens", "revoke", name).returncode == 0
    socket, _ = connect_raw(server, token)
    assert refused_with(socket) == 4401


def connect_raw(server: Server, token: str) -> tuple[Any, None]:
    from navllm.link.websocket import TEXT, WebSocket

    socket = WebSocket.connect(server.port, "/api/browser", DEADLINE)
    socket.send(json.dumps({"type": "auth", "token": token}).encode(), TEXT)
    return socket, None


def test_three_wrong_codes_void_the_pairing(paired_server):
    server = paired_server
    pairing_id = start(server)
    code = shown_code(server)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    first = post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": wrong})
    assert first.status == 403 and "2 tries left" in first.json()["error"]["message"]
    assert post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": wrong}).status == 403
    void = post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": wrong})
    assert void.json()["error"]["code"] == "pairing_void"
    assert post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": code}).status == 404
    assert code not in void.body.decode()


def test_a_new_pairing_replaces_the_old_and_pairings_expire(paired_server, monkeypatch):
    server = paired_server
    old = start(server)
    old_code = shown_code(server)
    new = start(server)
    assert post(server, "/api/pair/confirm", {"pairing": old, "code": old_code}).status == 404
    monkeypatch.setattr(pairing, "LIFETIME", 0.0)
    expired = start(server)
    assert navllm(server, "pair").returncode == 1
    code = json.loads((server.home / "data" / "pairing.json").read_text())["code"]
    assert post(server, "/api/pair/confirm", {"pairing": expired, "code": code}).status == 404
    assert new != expired


@pytest.mark.parametrize("origin", [None, "https://evil.example"])
def test_only_the_extension_may_pair(paired_server, origin):
    refused = post(paired_server, "/api/pair", {"browser": "x"}, origin=origin)
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert not (paired_server.home / "data" / "pairing.json").exists()


def test_preflight_for_the_extension_only(paired_server):
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = paired_server.raw("OPTIONS", "/api/pair", Origin=EXTENSION, **headers)
    assert ok.status == 204 and ok.headers["Access-Control-Allow-Origin"] == EXTENSION
    assert paired_server.raw("OPTIONS", "/api/pair", Origin="https://evil.example", **headers).status == 403


def paired(server: Server) -> tuple[str, str]:
    """Pair as the side panel does: (the token, the browser's name)."""
    pairing_id = start(server)
    done = post(server, "/api/pair/confirm", {"pairing": pairing_id, "code": shown_code(server)})
    assert done.status == 200, done.body
    return done.json()["token"], done.json()["name"]


def forget(server: Server, token: str, origin: str | None = EXTENSION) -> Reply:
    headers = {"Origin": origin} if origin else {}
    return server.raw("POST", "/api/pair/forget", b"{}", Content_Type="application/json", Authorization=f"Bearer {token}", **headers)


def test_forgetting_revokes_the_token_and_closes_its_connections(paired_server):
    server = paired_server
    token, name = paired(server)
    copied, answer = connect(server, token)  # someone who copied the token, connected before the forget
    assert answer["ok"] is True
    assert forget(server, token, origin=None).status == 403  # only the extension forgets
    assert forget(server, token, origin="https://evil.example").status == 403
    assert call(copied, {"id": "s", "type": "status", "caller": ADMIN})["type"] == "done"

    done = forget(server, token)
    assert done.status == 200 and done.json() == {"revoked": name}
    assert done.headers["Access-Control-Allow-Origin"] == EXTENSION
    assert refused_with(copied) == 4401  # the open connection is closed too
    again, _ = connect_raw(server, token)
    assert refused_with(again) == 4401
    refused = forget(server, token)
    assert refused.status == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert name not in navllm(server, "tokens", "list").stdout
    assert forget(server, "navllm-not-a-token").status == 401


def test_revoking_a_browser_from_the_command_line_closes_its_connections(paired_server):
    token, name = paired(paired_server)
    open_socket, answer = connect(paired_server, token)
    assert answer["ok"] is True
    revoked = navllm(paired_server, "tokens", "revoke", name)
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"revoked {name}'s token"
    started = time.monotonic()
    assert refused_with(open_socket) == 4401
    assert time.monotonic() - started < browser.REVOCATION_CHECK + 5
