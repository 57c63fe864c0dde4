"""The native-messaging host: ``python -m navllm.host`` as launched by the browser.

The protocol pipes are taken before anything else is imported (see ``wire.stdio``).
"""

if __name__ == "__main__":
    from navllm.wire.stdio import take_protocol_pipes

    _PIPES = take_protocol_pipes()

import os
import sys
from typing import TYPE_CHECKING

from navllm import PROTOCOL_VERSION, __version__
from navllm.wire.framing import SAFE_FRAME, EndOfStream, FrameReader, FramingError, FrameWriter, decode, encode

if TYPE_CHECKING:
    from collections.abc import Callable

CALLER_ENV = "NAVLLM_ALLOWED_CALLERS"
STOPPING = "navllm host: stopping, the browser's message stream is unusable"


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


def handshake(reader: FrameReader, writer: FrameWriter) -> object:
    """Answer the extension's opening hello before the services are even imported, so a
    (re)connecting browser waits for Python's start-up only. Returns the first message when it
    is anything else (the dispatcher validates it), None when it was the hello, or the stream
    error as a ``FramingError``/``EndOfStream`` instance."""
    try:
        first = reader.read()
    except (EndOfStream, FramingError) as exc:
        return exc
    if not (isinstance(first, dict) and first.get("type") == "hello" and isinstance(first.get("id"), str)
            and 0 < len(first["id"]) <= 64 and type(first.get("protocol")) is int):
        return first
    if first["protocol"] == PROTOCOL_VERSION:
        writer.write({"id": first["id"], "type": "done", "data": {"host": __version__, "protocol": PROTOCOL_VERSION}})
    else:
        message = f"the extension speaks protocol {first['protocol']}, this host speaks {PROTOCOL_VERSION}; update both"
        writer.write({"id": first["id"], "type": "error", "error": {"name": "NotSupportedError", "message": message}})
    return None


def setup_logging() -> None:
    import logging

    from navllm.paths import log_dir

    path = log_dir() / "host.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    os.chmod(path, 0o600)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("NAVLLM_LOG_LEVEL", "INFO"), handlers=[handler])


async def serve(reader: FrameReader, writer: FrameWriter, first: object) -> int:
    """Serve until input ends; ``first`` is a message read before the services loaded, or None."""
    import asyncio

    from navllm.app import App
    from navllm.dispatch.dispatcher import Dispatcher
    from navllm.wire.channel import Closed, start_reader

    def send(reply) -> None:
        for frame in frames(reply.id, reply.wire_json()):
            writer.write_bytes(frame)

    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[Closed] = loop.create_future()
    dispatcher = Dispatcher(send, App().handlers())
    submit = frame_submitter(dispatcher)

    def deliver(item: bytes | Closed) -> None:
        """Runs on the loop for each frame the reader thread hands over, then once for the end."""
        if stopped.done():
            return
        if isinstance(item, Closed):
            stopped.set_result(item)
            return
        try:
            submit(item)
        except FramingError as exc:
            stopped.set_result(Closed(str(exc)))
        except BrokenPipeError as exc:
            stopped.set_exception(exc)  # the browser is gone: main() exits quietly

    if first is not None:
        dispatcher.submit(first)
    start_reader(reader, loop, deliver)
    closed = await stopped
    await asyncio.wait_for(dispatcher.close(), timeout=0.8)
    if closed.error:
        print(f"{STOPPING}: {closed.error}", file=sys.stderr)
        return 2
    return 0


def frame_submitter(dispatcher) -> "Callable[[bytes], None]":
    """What hands each frame to ``dispatcher``. Well-formed requests are validated straight from
    their bytes; anything else is decoded and resubmitted so its error names the problem
    (FramingError when it is not JSON)."""
    from pydantic import ValidationError

    from navllm.protocol import parse_frame

    def submit(body: bytes) -> None:
        try:
            request = parse_frame(body)
        except ValidationError:
            dispatcher.submit(decode(body))
        else:
            dispatcher.start(request)

    return submit


def frames(reply_id: str, body: bytes) -> list[bytes]:
    """One encoded reply as frames under the browser's limit: itself, or ``part`` frames whose
    ``body`` strings concatenate to it (JSON escaping can grow text 6x, hence the small step)."""
    if len(body) <= SAFE_FRAME:
        return [body]
    text = body.decode("utf-8")
    step = SAFE_FRAME // 8
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
            print(f"{STOPPING}: {first}", file=sys.stderr)
            return 2
        setup_logging()
        import asyncio

        return asyncio.run(serve(reader, writer, first))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    os._exit(main())
