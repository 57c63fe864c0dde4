"""Fuzzed frames for the real host, and a browser stand-in with a deadline on every wait.

Shared by ``test_fuzz.py`` (hypothesis, in the default suite) and ``fuzz_host.py`` (the long run).
Each fuzzed frame comes from the documented example of a request type (every type in
``navllm.protocol.REQUESTS``) and one mutation; deep nesting and huge numbers are spliced in as
raw JSON text, since Python's own encoder cannot write them.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from pathlib import Path
from typing import Any

from protocol_doc import request_examples

from navllm.protocol import REQUESTS
from tests.support.host_process import ADMIN, HEADER, HostProcess

FUZZ = {"kind": "page", "origin": "https://fuzz.example", "tabId": 9, "frameId": 0}
OTHER = {"kind": "page", "origin": "https://other.example", "tabId": 2, "frameId": 0}
CAP = 64 * 1024  # the fuzzed host's input cap, so over-cap frames stay cheap to send
TERMINAL = ("done", "error", "permission_required")
# The host forces its exit 0.9 s after its input ends. Tests allow more so a loaded machine's
# scheduling cannot fail them, while a host that never exits (the bug) still does.
EXIT_DEADLINE = 2.5
_HEAD = re.compile(rb'\{"id":"([A-Za-z0-9_-]+)","type":"(\w+)"')  # how the host starts every reply to our ids


def deep(depth: int, rng: random.Random) -> str:
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
    return opener * depth + "0" + closer * depth


NUMBERS = ["9" * 5000, "-" + "1" * 4301, "1e999", "-1e999", "NaN", "Infinity", "-0", "1" + "0" * 400 + ".5", "0." + "0" * 5000 + "1"]
SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\udbff\ud800", "\ud83d"]
JUNK: list[Any] = [None, True, -1, 2**70, 1.5, "", "x" * 300, [], {}, [[[]]], {"": {}}, "extension-ish", "\u2028\x00"]


def _paths(message: dict) -> list[list[Any]]:
    """Every path to a value inside ``message``, found without recursion."""
    found, todo = [], [([], message)]
    while todo:
        path, value = todo.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            found.append([*path, key])
            todo.append(([*path, key], child))
    return found


def _put(message: dict, path: list[Any], value: Any) -> None:
    target = message
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _encode(message: Any, raw: dict[str, str]) -> bytes:
    """JSON with each placeholder string replaced by its raw text (deep nesting, huge numbers);
    lone surrogates are written as JSON escapes, as Firefox's JSON.stringify writes them."""
    text = json.dumps(message, ensure_ascii=True)
    for placeholder, replacement in raw.items():
        text = text.replace(json.dumps(placeholder), replacement)
    return text.encode("utf-8", "surrogatepass")


def base(kind: str, rid: str, caller: dict = FUZZ) -> dict:
    example = json.loads(json.dumps(EXAMPLES.get(kind, {"type": kind})))
    return {**example, "id": rid, "caller": dict(caller)}


EXAMPLES = request_examples()
KINDS = sorted(REQUESTS)


def fuzz_frame(mutation: str, rng: random.Random, rid: str) -> tuple[bytes, bool]:
    """One fuzzed frame from the fuzzing origin with id ``rid``, and whether that id must still get
    a terminal reply (false when the mutation may have destroyed the id)."""
    message = base(rng.choice(KINDS), rid)
    # Chrome sends keys sorted (id near the start), Firefox as built (id last)
    sort = rng.random() < 0.5
    message = dict(sorted(message.items())) if sort else {**{k: v for k, v in message.items() if k != "id"}, "id": rid}
    raw: dict[str, str] = {}
    paths = [p for p in _paths(message) if p != ["id"]]
    where = rng.choice(paths)
    answered = True
    if mutation == "deep":
        raw["\x00deep"] = deep(rng.choice([65, 100, 1000, 3000]), rng)
        _put(message, where, "\x00deep")
    elif mutation == "deep-schema":  # the reported wedge: a tool schema nested ~1,000-3,000 levels
        message = {
            "caller": dict(FUZZ),
            "id": rid,
            "type": "availability",
            "options": {"tools": [{"name": "t", "description": "d", "inputSchema": "\x00deep"}]},
        }
        raw["\x00deep"] = '{"a":' * rng.choice([1000, 3000]) + "{}" + "}" * rng.choice([1000, 3000])
    elif mutation == "number":
        raw["\x00number"] = rng.choice(NUMBERS)
        _put(message, where, "\x00number")
    elif mutation == "surrogate":
        target = rng.choice(["value", "key", "id", "origin"])
        if target == "id":
            message["id"], answered = rng.choice(SURROGATES), False
        elif target == "origin":
            message["caller"]["origin"] = "https://" + rng.choice(SURROGATES) + ".example"
        elif target == "key":
            message[rng.choice(SURROGATES)] = 1
        else:
            _put(message, where, rng.choice(SURROGATES))
    elif mutation == "retype":
        _put(message, where, rng.choice(JUNK))
    elif mutation == "unknown":
        message["smuggled" + str(rng.randrange(9))] = rng.choice(JUNK)
    elif mutation == "drop":
        del message[rng.choice([k for k in message if k != "id"])]
    elif mutation == "cancel":  # another origin's ids look like o<n>: they must never be cancelled
        message = {"id": rid, "type": "cancel", "caller": dict(FUZZ), "target": f"o{rng.randrange(50)}"}
    elif mutation == "oversize":
        message["pad"] = "x" * rng.randrange(CAP, 3 * CAP)
    body = _encode(message, raw)
    if mutation == "truncate":
        body, answered = body[: rng.randrange(len(body))], False
    elif mutation == "flip":
        at = rng.randrange(len(body))
        body, answered = body[:at] + bytes([rng.choice(b'\xff\x00"{}[]\\,:')]) + body[at + 1 :], False
    elif mutation == "garbage":
        body, answered = rng.randbytes(rng.randrange(64)), False
    elif mutation == "not-an-object":
        body, answered = rng.choice([b"[]", b'"hello"', b"42", b"null", b"{}"]), False
    return body, answered


MUTATIONS = [
    "deep",
    "deep-schema",
    "number",
    "surrogate",
    "retype",
    "unknown",
    "drop",
    "cancel",
    "oversize",
    "truncate",
    "flip",
    "garbage",
    "not-an-object",
    "none",
]


class Browser:
    """Plays the browser to the real host: replies are read on a thread, so every wait has a deadline."""

    def __init__(self, home: Path, cap: int = CAP, **kwargs: Any):
        self.host = HostProcess(home, env={"NAVLLM_MAX_INPUT": str(cap)}, **kwargs)
        self.answers: dict[str, tuple[bytes, float]] = {}  # request id -> (terminal reply's JSON, when)
        self.ended = False
        self._arrived = threading.Condition()
        self._lock = threading.Lock()
        self._n = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Read replies in big chunks and note each terminal one by its id, decoding only what
        must be: this reader shares a process with the fuzzer and must keep up with the host."""
        parts: dict[str, list[str]] = {}
        buffer = b""
        fd = self.host.proc.stdout.fileno()
        try:
            while chunk := os.read(fd, 1 << 20):
                buffer += chunk
                at = 0
                while len(buffer) - at >= HEADER.size:
                    (length,) = HEADER.unpack_from(buffer, at)
                    if len(buffer) - at - HEADER.size < length:
                        break
                    body = buffer[at + HEADER.size : at + HEADER.size + length]
                    at += HEADER.size + length
                    head = _HEAD.match(body)
                    rid, kind = (head[1].decode(), head[2].decode()) if head else (None, None)
                    if head is None or kind == "part":
                        reply = json.loads(body)
                        rid, kind = reply["id"], reply["type"]
                        if kind == "part":
                            parts.setdefault(rid, []).append(reply["body"])
                            if reply["more"]:
                                continue
                            body = "".join(parts.pop(rid)).encode()
                            kind = json.loads(body)["type"]
                    if kind in TERMINAL:
                        with self._arrived:
                            self.answers[rid] = (body, time.monotonic())
                            self._arrived.notify_all()
                buffer = buffer[at:]
        except OSError:
            pass
        finally:
            with self._arrived:
                self.ended = True
                self._arrived.notify_all()

    def send(self, *bodies: bytes) -> None:
        """Write these frame bodies in one go, as one burst."""
        with self._lock:
            self.host.send_raw(b"".join(HEADER.pack(len(body)) + body for body in bodies))

    def next_id(self, prefix: str = "r") -> str:
        with self._lock:
            self._n += 1
            return f"{prefix}{self._n}"

    def wait(self, rid: str, timeout: float = 5.0) -> dict:
        with self._arrived:
            self._arrived.wait_for(lambda: rid in self.answers or self.ended, timeout)
            if rid not in self.answers:
                raise AssertionError(f"no answer to {rid} within {timeout} s (host ended: {self.ended})")
            return json.loads(self.answers[rid][0])

    def request(self, kind: str, caller: dict, **fields: Any) -> str:
        rid = fields.pop("id", None) or self.next_id()
        self.send(json.dumps({"id": rid, "type": kind, "caller": caller, **fields}).encode())
        return rid

    def call(self, kind: str, caller: dict = ADMIN, timeout: float = 5.0, **fields: Any) -> dict:
        return self.wait(self.request(kind, caller, **fields), timeout)

    def setup(self) -> None:
        """Echo on, granted to OTHER only: the fuzzing origin has no grant."""
        assert self.call("hello", extensionVersion="0.1.0", protocol=1)["type"] == "done"
        assert self.call("settings.set", values={"echoEnabled": True, "echoDelayMs": 0, "providers": []})["type"] == "done"
        assert self.call("grants.set", origin=OTHER["origin"], state="granted", providers=["local"])["type"] == "done"

    def probe(self, timeout: float = 5.0) -> float:
        """Another origin's request must still be answered; returns how long it took."""
        started = time.monotonic()
        reply = self.wait(self.request("availability", OTHER, id=self.next_id("o")), timeout)
        assert reply["type"] == "done", reply
        return time.monotonic() - started

    def alive(self) -> bool:
        return self.host.proc.poll() is None

    def close(self, timeout: float = 5.0) -> tuple[int, float, str]:
        """Close input; (exit status, seconds it took to exit, stderr). A host still running at the deadline is killed."""
        proc = self.host.proc
        started = time.monotonic()
        proc.stdin.close()
        try:
            code = proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        took = time.monotonic() - started
        return code, took, proc.stderr.read().decode(errors="replace")
