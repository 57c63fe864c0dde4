"""Replies from the host. Every request ends with exactly one terminal reply:
``done`` (with data), ``error``, or ``permission_required``. Before it, a request may
receive ``chunk``, ``progress`` and ``event`` replies."""

from __future__ import annotations

from typing import Any, Literal

from .common import Model, ToolCallPart


class Reply(Model):
    id: str


class Done(Reply):
    type: Literal["done"] = "done"
    data: Any = None


class Chunk(Reply):
    type: Literal["chunk"] = "chunk"
    delta: str | None = None
    tool_call: ToolCallPart | None = None


class Progress(Reply):
    """Download or load progress as a fraction in [0, 1]."""

    type: Literal["progress"] = "progress"
    loaded: float


class Event(Reply):
    type: Literal["event"] = "event"
    name: Literal["contextoverflow"]


class ErrorBody(Model):
    name: str
    message: str
    details: dict[str, Any] | None = None


class Error(Reply):
    type: Literal["error"] = "error"
    error: ErrorBody


class PermissionAsk(Model):
    """What the user is asked: which origin (and top-level origin), which providers, whether data leaves the device.
    ``site`` / ``top_site`` are their registrable domains (set by the policy gate), shown first and big."""

    origin: str
    site: str | None = None
    top_origin: str | None = None
    top_site: str | None = None
    incognito: bool = False
    providers: list[str]
    remote: bool
    remote_providers: list[str] = []  # noqa: RUF012 -- a pydantic field (copied per instance); those of ``providers`` that send data off the device


class PermissionRequired(Reply):
    type: Literal["permission_required"] = "permission_required"
    ask: PermissionAsk


REPLIES = (Done, Chunk, Progress, Event, Error, PermissionRequired)
