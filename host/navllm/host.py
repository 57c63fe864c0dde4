"""The native-messaging host: ``python -m navllm.host`` as launched by the browser.

The protocol pipes are taken before anything else is imported (see ``wire.stdio``).
"""

if __name__ == "__main__":
    from navllm.wire.stdio import take_protocol_pipes

    _PIPES = take_protocol_pipes()

import os
import sys
import threading
from typing import TYPE_CHECKING

from navllm import PROTOCOL_VERSION, __version__
from navllm.wire.framing import (
    PART_CHARS,
    SAFE_FRAME,
    EndOfStream,
    FrameReader,
    FrameWriter,
    FramingError,
    Malformed,
    Oversized,
    check_depth,
    decode,
    encode,
    recover_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from navllm.dispatch.dispatcher import Dispatcher
    from navllm.protocol.replies import Reply
    from navllm.wire.channel import Closed, Item

CALLER_ENV = "NAVLLM_ALLOWED_CALLERS"
STOPPING = "navllm host: stopping, the browser's message stream is unusable"
UNSERIALIZABLE = "the host could not serialize its reply; see its log"
CLOSE_GRACE = 0.5  # seconds handlers get to unwind once input has ended
EXIT_GRACE = 0.9  # seconds from the end of input to a forced exit, whatever the host is doing
_EXITING = threading.Lock()


def caller_of(argv: list[str]) -> str | None:
    """The extension that started us: Chrome passes ``chrome-extension://ID/``, Firefox ``<manifest> <id>``."""
    for arg in argv:
        if arg.startswith("chrome-extension://"):
            return arg
    if len(argv) >= 2 and argv[0].endswith(".json"):
        return argv[1]
    return None


def check_caller(argv: list[str], allowed: str | None) -> str | None:
    """Return an error message if the caller is not one this host was installed for."""
    if allowed is None:
        return None  # started by hand or by tests without an installer-written launcher
    caller = caller_of(argv)
    if caller is None or caller not in allowed.split():
        return f"navllm host refuses caller {caller!r}: it was installed only for {allowed}"
    return None


def handshake(reader: FrameReader, writer: FrameWriter) -> bytes | Oversized | EndOfStream | FramingError | None:
    """Answer the extension's opening hello before the services are even imported, so a
    (re)connecting browser waits for Python's start-up only. Returns None when the first frame
    was the hello; otherwise what the reader gave, for ``serve`` to handle like any later frame
    (its bytes or an ``Oversized``), or the ``EndOfStream``/``FramingError`` that ended input."""
    try:
        body = reader.read_frame()
    except (Oversized, EndOfStream, FramingError) as exc:
        return exc
    try:
        first = decode(body)
    except Malformed:
        return body
    rid = first.get("id") if isinstance(first, dict) else None
    # An ASCII id can always be written back; anything unusual takes the dispatcher's way.
    if not (
        isinstance(rid, str)
        and 0 < len(rid) <= 64
        and rid.isascii()
        and first.get("type") == "hello"
        and type(first.get("protocol")) is int
    ):
        return body
    if first["protocol"] == PROTOCOL_VERSION:
        writer.write({"id": rid, "type": "done", "data": {"host": __version__, "protocol": PROTOCOL_VERSION}})
    else:
        message = f"the extension speaks protocol {first['protocol']}, this host speaks {PROTOCOL_VERSION}; update both"
        writer.write({"id": rid, "type": "error", "error": {"name": "NotSupportedError", "message": message}})
    return None


def setup_logging() -> None:
    import logging

    from navllm.paths import log_dir

    path = log_dir() / "host.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    os.chmod(path, 0o600)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("NAVLLM_LOG_LEVEL", "INFO"), handlers=[handler])


async def serve(reader: FrameReader, writer: FrameWriter, first: bytes | Oversized | None) -> int:
    """Serve until input ends; ``first`` is a frame read before the services loaded, or None.
    Returns the exit status."""
    import asyncio
    import logging

    from navllm.wire.channel import Closed, start_reader

    log = logging.getLogger("navllm.host")
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[Closed] = loop.create_future()

    def stop(closed: Closed) -> None:
        if not stopped.done():
            stopped.set_result(closed)

    def send(reply: "Reply") -> None:
        """Write one reply; never raises. One that cannot be serialized becomes an OperationError."""
        try:
            body = reply.wire_json()
        except Exception:
            log.exception("the reply to %r could not be serialized", reply.id)
            # Reply ids come from validated requests or are plain ASCII, so this one always encodes.
            body = encode({"id": reply.id, "type": "error", "error": {"name": "OperationError", "message": UNSERIALIZABLE}})
        try:
            for frame in frames(reply.id, body):
                writer.write_bytes(frame)
        except OSError:
            stop(Closed())  # the browser is gone

    def deliver(item: "Item") -> None:
        """Runs on the loop for each frame the reader thread hands over, then once for the end."""
        if stopped.done():
            return
        if isinstance(item, Closed):
            stop(item)
        else:
            submit(item)

    # Read before the services load, so input ending during start-up arms the exit deadline too;
    # frames wait in the reader's backlog until ``await stopped`` below, when ``submit`` exists.
    start_reader(reader, loop, deliver, on_end=exit_deadline)
    from navllm.app import handlers
    from navllm.dispatch.dispatcher import Dispatcher

    dispatcher = Dispatcher(send, handlers())
    submit = frame_submitter(dispatcher)
    if first is not None:
        submit(first)
    closed = await stopped
    # Handlers get a moment to unwind; one stuck in a thread is left behind (main exits with os._exit).
    await asyncio.wait([loop.create_task(dispatcher.close())], timeout=CLOSE_GRACE)
    return stopping(closed.error) if closed.error else 0


def stopping(error: str) -> int:
    """Report an unusable stream once, however many ways the exit is reached; the exit status."""
    _EXITING.acquire()  # held for good: whoever comes second waits for the process to end
    print(f"{STOPPING}: {error}", file=sys.stderr, flush=True)
    return 2


def exit_deadline(closed: "Closed") -> None:
    """Input has ended: whatever the loop is doing (even stuck), the process ends in EXIT_GRACE."""

    def leave() -> None:
        os._exit(stopping(closed.error) if closed.error else 0)

    timer = threading.Timer(EXIT_GRACE, leave)
    timer.daemon = True
    timer.start()


def frame_submitter(dispatcher: "Dispatcher") -> "Callable[[bytes | Oversized], None]":
    """What hands each frame to ``dispatcher``; it never raises, whatever the frame holds.

    Well-formed requests are validated straight from their bytes; anything else is decoded and
    resubmitted so its error names the problem. A frame refused unparsed (too deep, too large,
    not JSON) is answered to the id ``recover_id`` finds; a bug handling one frame costs that
    frame an OperationError and nothing more."""
    import logging

    from pydantic import ValidationError

    from navllm.protocol import parse_frame
    from navllm.protocol.errors import ErrorName, NavError

    log = logging.getLogger("navllm.host")

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


def frames(reply_id: str, body: bytes) -> list[bytes]:
    """One encoded reply as frames under the browser's limit: itself, or ``part`` frames whose
    ``body`` strings concatenate to it (JSON escaping can grow text 6x, hence the small step)."""
    if len(body) <= SAFE_FRAME:
        return [body]
    text = body.decode("utf-8")
    step = PART_CHARS
    return [
        encode({"id": reply_id, "type": "part", "more": start + step < len(text), "body": text[start : start + step]})
        for start in range(0, len(text), step)
    ]


def _input_cap() -> int:
    from navllm.wire.framing import DEFAULT_INPUT_CAP

    return int(os.environ.get("NAVLLM_MAX_INPUT", DEFAULT_INPUT_CAP))


def main() -> int:
    refusal = check_caller(sys.argv[1:], os.environ.get(CALLER_ENV))
    if refusal:
        print(refusal, file=sys.stderr)
        return 3
    proto_in, proto_out = _PIPES
    # Buffered: one read(2) usually brings a frame's header and body together.
    reader = FrameReader(os.fdopen(proto_in, "rb"), cap=_input_cap())
    writer = FrameWriter(proto_out)
    try:
        first = handshake(reader, writer)
        if isinstance(first, EndOfStream):
            return 0
        if isinstance(first, FramingError):
            return stopping(str(first))
        setup_logging()
        import asyncio

        # Not asyncio.run: closing, it joins the default executor, where a handler's thread may be
        # stuck for good. The caller ends the process with os._exit, which does not wait for it.
        return asyncio.new_event_loop().run_until_complete(serve(reader, writer, first))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    os._exit(main())
