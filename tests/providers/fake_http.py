"""A real HTTP/1.1 server on 127.0.0.1 that streams server-sent events, with injectable faults.

Each API fake (``fake_openai``, ``fake_anthropic``) subclasses ``FakeServer`` and turns a
request into a ``Script``: a status, headers, a JSON body or a list of SSE events, and
faults (a slow first byte, a dropped connection, a pause between events). ``events`` may be
a generator: a stream of hundreds of megabytes is then made as it is sent, never held.
Tests queue scripts with ``then(...)`` for the next requests; requests are recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # JSON body (non-streaming replies)
    events: Iterable[bytes] | None = None  # raw SSE frames (or any body pieces), sent as chunked transfer encoding
    content_type: str = "text/event-stream"  # of a streamed body
    first_byte_delay: float = 0.0
    event_delay: float = 0.0
    drop_after: int | None = None  # close the connection after this many events, mid-body


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeServer:
    def __init__(self, key: str | None = None):
        self.key = key
        self.requests: list[Recorded] = []
        self.scripts: deque[Script] = deque()
        self.client_went_away = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def then(self, *scripts: Script) -> FakeServer:
        """Answer the next generation requests with these scripts, in order."""
        self.scripts.extend(scripts)
        return self

    def generations(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(self.generate_path)]

    def route(self, method: str, path: str, headers: dict[str, str], body: Any) -> Script:
        if self.key is not None and self.presented_key(headers) != self.key:
            return self.unauthorized(self.presented_key(headers) or "")
        if method == "POST" and path.endswith(self.generate_path):
            return self.scripts.popleft() if self.scripts else self.reply(body)
        return self.other(method, path, body)

    # -- provided by each API -----------------------------------------------------------

    generate_path = ""

    def presented_key(self, headers: dict[str, str]) -> str | None:
        raise NotImplementedError

    def unauthorized(self, presented: str) -> Script:
        raise NotImplementedError

    def reply(self, body: Any) -> Script:
        """The normal streamed answer to a generation request."""
        raise NotImplementedError

    def other(self, method: str, path: str, body: Any) -> Script:
        return status(404, {"error": {"message": f"no route {method} {path}"}})


def status(code: int, body: Any, retry_after: str | None = None, delay: float = 0.0) -> Script:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Script(status=code, headers=headers, body=body, first_byte_delay=delay)


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode()


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            self._serve("GET", None)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._serve("POST", json.loads(raw) if raw else None)

        def _serve(self, method: str, body: Any) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append(Recorded(method, self.path, headers, body))
            script = server.route(method, self.path, headers, body)
            if script.first_byte_delay:
                time.sleep(script.first_byte_delay)
            try:
                if script.events is None:
                    self._json(script)
                else:
                    self._stream(script)
            except (BrokenPipeError, ConnectionResetError):
                server.client_went_away.set()

        def _json(self, script: Script) -> None:
            payload = json.dumps(script.body).encode()
            self.send_response(script.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for name, value in script.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, script: Script) -> None:
            self.send_response(script.status)
            self.send_header("content-type", script.content_type)
            self.send_header("transfer-encoding", "chunked")
            for name, value in script.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for index, event in enumerate(script.events or []):
                if script.drop_after is not None and index >= script.drop_after:
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)  # abrupt: no terminating chunk
                    return
                if script.event_delay and index:
                    time.sleep(script.event_delay)
                self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler
