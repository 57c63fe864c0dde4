"""Frames in, requests out, replies back: what hands each received frame (from the native host's
pipe or the daemon's browser socket) to a dispatcher, whatever the frame holds, and what turns
each reply into the bytes sent back."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import ValidationError

from ..protocol import parse_frame
from ..protocol.errors import ErrorName, NavError
from ..protocol.replies import Reply
from ..wire.framing import Malformed, Oversized, check_depth, decode, encode, recover_id
from .dispatcher import Dispatcher

log = logging.getLogger("navllm.host")
UNSERIALIZABLE = "the host could not serialize its reply; see its log"


def frame_submitter(dispatcher: Dispatcher) -> Callable[[bytes | Oversized], None]:
    """What hands each frame to ``dispatcher``; it never raises, whatever the frame holds.

    Well-formed requests are validated straight from their bytes; anything else is decoded and
    resubmitted so its error names the problem. A frame refused unparsed (too deep, too large,
    not JSON) is answered to the id ``recover_id`` finds; a bug handling one frame costs that
    frame an OperationError and nothing more."""

    def submit(item: bytes | Oversized) -> None:
        if isinstance(item, Oversized):
            refused = NavError(ErrorName.QUOTA_EXCEEDED, str(item), quota=item.cap, requested=item.length)
            dispatcher.refuse(recover_id(item.head, item.tail), refused)
            return
        try:
            check_depth(item)
            try:
                request = parse_frame(item)
            except ValidationError:
                dispatcher.submit(decode(item))
            else:
                dispatcher.start(request)
        except Malformed as exc:
            dispatcher.refuse(recover_id(item), NavError(ErrorName.TYPE, str(exc)))
        except Exception:
            log.exception("a frame could not be handled")
            dispatcher.refuse(recover_id(item), NavError(ErrorName.OPERATION, "the host hit an internal error; see its log"))

    return submit


def reply_body(reply: Reply) -> bytes:
    """``reply`` as JSON bytes; one that cannot be serialized becomes an OperationError."""
    try:
        return reply.wire_json()
    except Exception:
        log.exception("the reply to %r could not be serialized", reply.id)
        # Reply ids come from validated requests or are plain ASCII, so this one always encodes.
        return encode({"id": reply.id, "type": "error", "error": {"name": "OperationError", "message": UNSERIALIZABLE}})
