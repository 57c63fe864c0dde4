"""What keeps other programs and web pages out of ``navllm serve``, in raw HTTP as curl or a browser
sends it: tokens, Host (DNS rebinding), Origin and CORS, credentials in URLs, body and JSON bounds,
and app callers that only the daemon can make."""

from __future__ import annotations

import json

import pytest

from navllm.dispatch.dispatcher import Dispatcher
from navllm.protocol import parse_request
from navllm.protocol.errors import NavError
from tests.daemon.conftest import Server, make_token, write_settings

MODELS = "/v1/models"


def _error(reply) -> dict:
    body = reply.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


def test_missing_and_wrong_tokens_get_401(server: Server):
    make_token("editor")
    for headers in ({}, {"Authorization": "Bearer navllm-not-a-real-token"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        reply = server.raw("GET", MODELS, **headers)
        assert reply.status == 401, headers
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert _error(reply)["code"] == "invalid_api_key"


def test_a_token_in_the_url_is_refused(server: Server):
    token = make_token("editor")
    for param in ("token", "api_key", "API_KEY", "access_token"):
        reply = server.raw("GET", f"{MODELS}?{param}={token}", Authorization=f"Bearer {token}")
        assert reply.status == 400 and _error(reply)["code"] == "credentials_in_url"
        assert token not in reply.body.decode()


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "localhost", "attacker.localhost:{port}", ""])
def test_a_foreign_host_header_is_refused(server: Server, host: str):
    """A page that rebinds its domain to 127.0.0.1 still sends its own name as Host."""
    reply = server.raw("GET", MODELS, host=host.format(port=server.port), Authorization=f"Bearer {make_token('editor')}")
    assert reply.status == 421
    assert _error(reply)["code"] == "bad_host"


def test_every_loopback_name_with_the_port_is_served(server: Server):
    token = make_token("editor")
    for name in ("127.0.0.1", "localhost", "LOCALHOST", "[::1]"):
        assert server.raw("GET", MODELS, host=f"{name}:{server.port}", Authorization=f"Bearer {token}").status == 200, name


def test_pages_from_origins_not_allowed_are_refused(server: Server):
    token = make_token("editor")
    for origin in ("https://evil.example", "null", "http://localhost:9"):
        reply = server.raw("POST", "/v1/chat/completions", b"{}", Authorization=f"Bearer {token}", Origin=origin)
        assert reply.status == 403, origin
        assert "Access-Control-Allow-Origin" not in reply.headers
    preflight = server.raw("OPTIONS", "/v1/chat/completions", Origin="https://evil.example", Access_Control_Request_Method="POST")
    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers


def test_an_allowed_origin_gets_cors_and_its_preflight(server: Server, echo_home):
    write_settings(echo_home, echoEnabled=True, serveAllowedOrigins=["https://notes.example"])
    preflight = server.raw(
        "OPTIONS",
        "/v1/chat/completions",
        Origin="https://notes.example",
        Access_Control_Request_Method="POST",
        Access_Control_Request_Headers="authorization, content-type",
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://notes.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    reply = server.raw(
        "POST",
        "/v1/chat/completions",
        json.dumps({"model": "echo", "messages": [{"role": "user", "content": "hi"}]}).encode(),
        Authorization=f"Bearer {make_token('notes')}",
        Origin="https://notes.example",
    )
    assert reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "https://notes.example"
    assert "Origin" in reply.headers["Vary"]


def test_an_oversized_body_gets_413(server: Server):
    reply = server.raw("POST", "/v1/chat/completions", b" " * (8 * 1024 * 1024 + 1), Authorization=f"Bearer {make_token('editor')}")
    assert reply.status == 413
    assert _error(reply)["type"] == "invalid_request_error"


def test_bad_json_gets_400_and_the_server_carries_on(server: Server):
    token = make_token("editor")
    for body in (b"{not json", b"\xff\xfe", b"[" * 100 + b"]" * 100, b'"a string"', b'{"messages": "no"}'):
        reply = server.raw("POST", "/v1/chat/completions", body, Authorization=f"Bearer {token}")
        assert reply.status == 400, body[:20]
        _error(reply)
    assert server.chat(token).status == 200
    assert server.raw("GET", "/v1/nothing-here", Authorization=f"Bearer {token}").status == 404


def test_the_browser_port_refuses_app_callers_and_pages_cannot_claim_app_origins():
    replies: list = []
    dispatcher = Dispatcher(replies.append, {})
    dispatcher.submit({"id": "a1", "type": "models", "caller": {"kind": "app", "origin": "app:editor"}})
    assert replies[0].error.name == "NotAllowedError"
    for caller in ({"kind": "page", "origin": "app:editor"}, {"kind": "app", "origin": "https://example.com"}):
        with pytest.raises(NavError):
            parse_request({"id": "a2", "type": "models", "caller": caller})
