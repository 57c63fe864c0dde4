"""The message protocol between the extension background and the host.

Messages are pydantic models discriminated by ``type`` and correlated by ``id``.
``docs/protocol.md`` documents them; ``navllm protocol schema`` exports the JSON Schema.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter, ValidationError

from .admin import ADMIN_MESSAGES
from .admin.base import AdminRequest
from .common import Caller, Message, Model
from .errors import ErrorName, NavError
from .page import PAGE_MESSAGES as _PROMPT_MESSAGES
from .page import Envelope
from .tasks import TASK_MESSAGES

# Everything a page may send: the Prompt API's requests and the task APIs'.
PAGE_MESSAGES = (*_PROMPT_MESSAGES, *TASK_MESSAGES)
REQUESTS: dict[str, type[Envelope]] = {cls.model_fields["type"].default: cls for cls in (*PAGE_MESSAGES, *ADMIN_MESSAGES)}


# Every request model, told apart by ``type``: one adapter validates a frame's bytes in one pass.
# Built at run time from REQUESTS, so for a type checker it is a value (its instances are Envelopes).
AnyRequest: Any = Annotated[Union[tuple(REQUESTS.values())], Field(discriminator="type")]  # noqa: UP007


@cache
def _request_adapter() -> TypeAdapter[Envelope]:
    return TypeAdapter(AnyRequest)


def parse_frame(body: bytes) -> Envelope:
    """Decode and validate one frame's JSON in a single pass; raise ValidationError on any
    problem (callers then take ``parse_request`` for the readable reason and the request id)."""
    return _request_adapter().validate_json(body)


def request_id(raw: Any) -> str | None:
    """The id of a raw message if it has a usable one, so even a rejected request gets its answer."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    if not (isinstance(rid, str) and 0 < len(rid) <= 64):
        return None
    try:
        rid.encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: no reply could carry it
    return rid


def parse_request(raw: Any) -> Envelope:
    """Validate one incoming message; raise NavError(TypeError) with a readable reason."""
    if not isinstance(raw, dict):
        raise NavError(ErrorName.TYPE, "a message must be a JSON object")
    kind = raw.get("type")
    cls = REQUESTS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise NavError(ErrorName.NOT_SUPPORTED, f"unknown message type {str(kind)[:64]!r}")
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise NavError(ErrorName.TYPE, f"invalid {kind!r} message: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in err["loc"])[:256] or "message"  # keys are the sender's
        problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)


__all__ = [
    "ADMIN_MESSAGES",
    "PAGE_MESSAGES",
    "REQUESTS",
    "TASK_MESSAGES",
    "AdminRequest",
    "Caller",
    "Envelope",
    "ErrorName",
    "Message",
    "Model",
    "NavError",
    "parse_frame",
    "parse_request",
    "request_id",
]
