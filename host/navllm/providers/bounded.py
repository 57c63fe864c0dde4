"""The SDKs' HTTP client, bounded: no event and no body may make the host hold more than ``Limits.event_bytes``.

The SDKs read server-sent events without any line or event limit, and JSON bodies whole, so
the count has to happen below them, on the bytes as they arrive: an httpx response hook wraps
each response's stream. Replies are asked for uncompressed (and refused compressed), so the
bytes counted are the bytes the SDK will hold.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2

from ..protocol.errors import ErrorName, NavError
from .remote import Limits

# A blank line ends an event. CR, LF and CRLF each end a line, so any run of line ends
# except a lone CRLF contains a blank line.
EVENT_END = re.compile(rb"[\r\n]{3,}|\n\n|\r\r|\n\r")


class BoundedStream(httpx2.AsyncByteStream):
    """Relays a response's bytes, failing once too many arrive without an event end (or at all, for a body)."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int, events: bool, too_large: Callable[[], NavError]):
        self.inner = inner
        self.limit = limit
        self.events = events
        self.too_large = too_large

    @property
    def elapsed(self) -> Any:
        """httpx's ``Response.elapsed`` reads this from the stream it wrapped."""
        return getattr(self.inner, "elapsed", None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        held = 0  # bytes the SDK may be buffering: since the last event end, or the whole body
        tail = b""  # an event end may be split across reads
        async for data in self.inner:
            if self.events:
                window = tail + data
                ends = [m.end() for m in EVENT_END.finditer(window)]
                held = len(window) - ends[-1] if ends else held + len(data)
                tail = window[-3:]
            else:
                held += len(data)
            if held > self.limit:
                raise self.too_large()
            yield data

    async def aclose(self) -> None:
        await self.inner.aclose()


def bounded_client(factory: Callable[..., httpx2.AsyncClient], limits: Limits) -> httpx2.AsyncClient:
    """``factory`` (the SDK's ``DefaultAsyncHttpxClient``, keeping its defaults) with the hook installed."""
    limit = limits.event_bytes

    async def bound(response: httpx2.Response) -> None:
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            raise NavError(
                ErrorName.OPERATION, f"{limits.provider} sent a compressed reply though asked for none; navllm cannot bound its size"
            )
        events = response.headers.get("content-type", "").startswith("text/event-stream")
        what = "one event" if events else "a response body"

        def too_large() -> NavError:
            return NavError(
                ErrorName.OPERATION,
                f"{limits.provider} sent more than {limit:,} bytes in {what}, over navllm's limit; the reply was stopped",
            )

        stream = response.stream
        assert isinstance(stream, httpx2.AsyncByteStream)  # the async client checked so before calling its hooks
        response.stream = BoundedStream(stream, limit, events, too_large)

    return factory(headers={"Accept-Encoding": "identity"}, event_hooks={"response": [bound]})
