"""A small blocking WebSocket client (RFC 6455) for the daemon on a loopback port.

A relaying host needs a handshake, whole messages both ways, pings answered and a close; this
does exactly that with the standard library, where aiohttp's client would cost the relay ~25 MiB
and its asyncio start-up. One thread receives while others send (sends hold a lock).
"""

from __future__ import annotations

import binascii
import contextlib
import os
import socket
import struct
import threading

try:  # CPython's own SHA-1: hashlib would load OpenSSL, ~3.5 MiB in every relaying host, for one digest
    from _sha1 import sha1  # type: ignore[import-not-found]  # no stub; same API as hashlib.sha1
except ImportError:
    from hashlib import sha1

ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_LINE = 8192  # one header line of the handshake's answer
MAX_MESSAGE = 64 * 1024 * 1024  # a reply's JSON (the protocol's 4 MiB of text, escaped) fits many times over


class Closed(Exception):
    """The connection ended; ``code`` is the close code the server sent, if any."""

    def __init__(self, code: int | None = None):
        super().__init__(f"the WebSocket closed (code {code})")
        self.code = code


class WebSocket:
    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._input = sock.makefile("rb")
        self._sending = threading.Lock()

    @classmethod
    def connect(cls, port: int, path: str, timeout: float) -> WebSocket:
        """Open ``ws://127.0.0.1:PORT/PATH``; OSError when nothing there upgrades. Operations time
        out after ``timeout`` seconds until ``settimeout(None)``."""
        # Not create_connection: its getaddrinfo loads the IDNA codec (and unicodedata) into every relay.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(("127.0.0.1", port))
            key = binascii.b2a_base64(os.urandom(16), newline=False)
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            link = cls(sock)
            link._check_upgrade(binascii.b2a_base64(sha1(key + ACCEPT_GUID).digest(), newline=False).decode())
            return link
        except BaseException:
            sock.close()
            raise

    def _check_upgrade(self, accept: str) -> None:
        status = self._input.readline(MAX_LINE)
        headers = {}
        while True:
            line = self._input.readline(MAX_LINE)
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if status.split(b" ")[1:2] != [b"101"] or headers.get("sec-websocket-accept") != accept:
            raise OSError(f"no WebSocket upgrade: {status.decode('latin-1').strip()[:80]}")

    def settimeout(self, timeout: float | None) -> None:
        self._sock.settimeout(timeout)

    def send(self, payload: bytes, opcode: int = BINARY) -> None:
        """One whole message, masked as a client must."""
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        mask = os.urandom(4)
        key = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")  # XOR at C speed
        with self._sending:
            self._sock.sendall(header + mask + masked)

    def receive(self) -> bytes:
        """The next message's payload, text or binary; pings are answered on the way. Closed when
        the connection ends (with the server's close code when it sent one)."""
        parts: list[bytes] = []
        size = 0
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            size += length
            if second & 0x80 or size > MAX_MESSAGE:  # a server never masks; the bound keeps memory in check
                self.close()
                raise Closed()
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == PING:
                self.send(payload, PONG)
            elif opcode == CLOSE:
                self.close()
                raise Closed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            elif opcode in (TEXT, BINARY, CONTINUATION):
                parts.append(payload)
                if first & 0x80:
                    return b"".join(parts)

    def _read(self, size: int) -> bytes:
        try:
            data = self._input.read(size)
        except OSError:
            raise Closed() from None
        if len(data) < size:
            raise Closed()
        return data

    def close(self) -> None:
        """Say goodbye (1000) if the socket still takes it, and let go of it."""
        with contextlib.suppress(OSError):
            self.send(struct.pack("!H", 1000), CLOSE)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
