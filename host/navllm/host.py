"""The native-messaging host: ``python -m navllm.host`` as launched by the browser.

The protocol pipes are taken before anything else is imported (see ``wire.stdio``).
"""

if __name__ == "__main__":
    from navllm.wire.stdio import take_protocol_pipes

    _PIPES = take_protocol_pipes()

import os
import sys
import threading

from navllm import PROTOCOL_VERSION, __version__
from navllm.wire.framing import (
    EndOfStream,
    FrameReader,
    FrameWriter,
    FramingError,
    Malformed,
    Oversized,
    decode,
    frames,
)

TYPE_CHECKING = False  # as typing's, without importing typing into every relay host (see wire/framing.py)
if TYPE_CHECKING:
    from navllm.link.websocket import WebSocket
    from navllm.protocol.replies import Reply
    from navllm.wire.channel import Closed, Item

CALLER_ENV = "NAVLLM_ALLOWED_CALLERS"
STOPPING = "navllm host: stopping, the browser's message stream is unusable"
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
    from navllm.paths import log_to

    log_to("host.log")


async def serve(reader: FrameReader, writer: FrameWriter, first: bytes | Oversized | None) -> int:
    """Serve until input ends; ``first`` is a frame read before the services loaded, or None.
    Returns the exit status."""
    import asyncio

    from navllm.wire.channel import Closed, start_reader

    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[Closed] = loop.create_future()

    def stop(closed: Closed) -> None:
        if not stopped.done():
            stopped.set_result(closed)

    def send(reply: "Reply") -> None:
        """Write one reply; never raises."""
        body = reply_body(reply)
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
    from navllm.dispatch.frames import frame_submitter, reply_body

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


def relay(reader: FrameReader, writer: FrameWriter, link: "WebSocket", first: bytes | Oversized | None) -> int:
    """Serve as a relay to the user's daemon (``link``) until the browser or the daemon ends; the exit status."""
    from navllm.link.pump import DAEMON_GONE, Relay

    daemon_gone, error = Relay(reader, writer, link).run(first)
    if error:
        return stopping(error)
    if daemon_gone:
        print(f"navllm host: {DAEMON_GONE}", file=sys.stderr, flush=True)
        return 1
    return 0


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
        from navllm.link.connect import open_link

        link = open_link()
        if link is not None:
            return relay(reader, writer, link, first)
        setup_logging()
        import asyncio

        # Not asyncio.run: closing, it joins the default executor, where a handler's thread may be
        # stuck for good. The caller ends the process with os._exit, which does not wait for it.
        return asyncio.new_event_loop().run_until_complete(serve(reader, writer, first))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    os._exit(main())
