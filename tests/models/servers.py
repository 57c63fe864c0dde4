"""Local HTTP servers on 127.0.0.1 standing in for remote model hosts: a file server that can
throttle or cut connections, a PEP 503 package index, and enough of the Hugging Face Hub API
for ``huggingface_hub`` to download a repository."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass
class Blob:
    data: bytes | None = None
    path: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def read(self, start: int, end: int) -> bytes:
        if self.data is not None:
            return self.data[start:end]
        with open(self.path, "rb") as f:
            f.seek(start)
            return f.read(end - start)


@dataclass
class Behaviour:
    """How the file server misbehaves: cut the first N responses after some bytes, throttle, stall."""

    cut_after: int | None = None
    cuts_left: int = 0
    bytes_per_second: int | None = None
    stall_after: int | None = None  # stop sending (keep the connection) after this many bytes
    sent: threading.Event = field(default_factory=threading.Event)  # set once stall_after is reached


class FileServer:
    """Serves ``routes`` (path -> Blob) with Range support; logs every request's Range header."""

    def __init__(self, routes: dict[str, Blob] | None = None, behaviour: Behaviour | None = None, extra=None):
        self.routes = routes or {}
        self.behaviour = behaviour or Behaviour()
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range
        self.extra = extra  # extra(handler, path) -> bool: serve dynamic routes first
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                server._serve(self, head=True)

            def do_GET(self):
                server._serve(self, head=False)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _serve(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path = unquote(urlsplit(h.path).path)
        self.requests.append((h.command, path, h.headers.get("Range")))
        if self.extra is not None and self.extra(h, path, head):
            return
        blob = self.routes.get(path)
        if blob is None:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        size = blob.size
        start, end = 0, size
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes="):
            first, _, last = rng[6:].partition("-")
            start = int(first)
            end = int(last) + 1 if last else size
            if start >= size:
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{size}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        else:
            h.send_response(200)
        h.send_header("Content-Length", str(end - start))
        h.send_header("Accept-Ranges", "bytes")
        for name, value in {"Content-Type": "application/octet-stream", **blob.headers}.items():
            h.send_header(name, value)
        h.end_headers()
        if not head:
            self._send_body(h, blob, start, end)

    def _send_body(self, h, blob: Blob, start: int, end: int) -> None:
        b = self.behaviour
        sent, pos, chunk = 0, start, 256 * 1024
        began = time.monotonic()
        cut = b.cut_after if b.cuts_left > 0 else None
        if cut is not None:
            b.cuts_left -= 1
        try:
            while pos < end and not self.stop.is_set():
                if cut is not None and sent >= cut:
                    h.close_connection = True
                    return
                if b.stall_after is not None and sent >= b.stall_after:
                    b.sent.set()
                    self.stop.wait(60)
                    return
                n = min(chunk, end - pos, (cut - sent) if cut is not None else chunk)
                h.wfile.write(blob.read(pos, pos + n))
                pos += n
                sent += n
                if b.bytes_per_second:
                    ahead = sent / b.bytes_per_second - (time.monotonic() - began)
                    if ahead > 0:
                        self.stop.wait(ahead)
        except (BrokenPipeError, ConnectionResetError):
            pass


def simple_index(server: FileServer, wheel: Path) -> str:
    """Publish ``wheel`` on ``server`` as a PEP 503 index with PEP 658 metadata; returns the index URL."""
    project = wheel.name.split("-")[0].replace("_", "-").lower()
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA")))
    meta_digest = hashlib.sha256(metadata).hexdigest()
    page = (
        f'<html><body><a href="/files/{wheel.name}#sha256={digest}" '
        f'data-dist-info-metadata="sha256={meta_digest}" data-core-metadata="sha256={meta_digest}">{wheel.name}</a></body></html>'
    ).encode()
    server.routes[f"/simple/{project}/"] = Blob(data=page, headers={"Content-Type": "text/html"})
    server.routes[f"/files/{wheel.name}"] = Blob(path=wheel)
    server.routes[f"/files/{wheel.name}.metadata"] = Blob(data=metadata)
    return f"{server.url}/simple/"


class HubRepo:
    """One repository: files by path, one commit."""

    def __init__(self, repo_id: str, files: dict[str, Path | bytes]):
        self.repo_id = repo_id
        self.files = {p: Blob(data=v) if isinstance(v, bytes) else Blob(path=v) for p, v in files.items()}
        self.commit = hashlib.sha1(repo_id.encode() + b"".join(sorted(p.encode() for p in files))).hexdigest()
        self.sha256 = {p: hashlib.sha256(b.read(0, b.size)).hexdigest() for p, b in self.files.items()}


def hub(server: FileServer, repos: list[HubRepo]) -> None:
    """Answer the Hub API routes huggingface_hub uses: model info, tree listing, resolve (HEAD + GET)."""
    by_id = {r.repo_id: r for r in repos}

    def answer(h, path: str, head: bool) -> bool:
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            repo = by_id.get("/".join(parts[2:4]))
            rest = parts[4:]
            if repo is None:
                return _json(h, 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            if rest and rest[0] == "tree":
                listing = [
                    {"type": "file", "oid": hashlib.sha1(repo.sha256[p].encode()).hexdigest(), "size": b.size, "path": p,
                     "lfs": {"oid": repo.sha256[p], "size": b.size, "pointerSize": 134}}
                    for p, b in repo.files.items()
                ]  # fmt: skip
                return _json(h, 200, listing)
            siblings = [
                {"rfilename": p, "size": b.size, "lfs": {"sha256": repo.sha256[p], "size": b.size, "pointerSize": 134}}
                for p, b in repo.files.items()
            ]
            return _json(h, 200, {"id": repo.repo_id, "modelId": repo.repo_id, "sha": repo.commit, "private": False, "siblings": siblings})
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = by_id.get("/".join(parts[:2]))
            name = "/".join(parts[4:])
            if repo is None or name not in repo.files:
                return _json(h, 404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
            blob = repo.files[name]
            blob.headers = {
                "X-Repo-Commit": repo.commit,
                "ETag": f'"{repo.sha256[name]}"',
                "X-Linked-Etag": f'"{repo.sha256[name]}"',
                "X-Linked-Size": str(blob.size),
            }
            server.routes[path] = blob
            return False  # the file server serves it, with Range
        return False

    server.extra = answer


def _json(h, status: int, body, headers: dict[str, str] | None = None) -> bool:
    data = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(data)
    return True
