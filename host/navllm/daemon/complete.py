"""One completion through the host: a session opened, prompted once and destroyed, as a page would.

Each step is a request on the host's dispatcher, so the policy gate (the token's scope, the
app's quotas), the provider chain and the usage log apply exactly as to a site's prompt.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from ..protocol.common import Caller, ToolCallPart
from ..protocol.page import CreateSession, Destroy, Prompt
from ..protocol.replies import Chunk
from .chat import Ask, checked
from .relay import TERMINAL, Relay, outcome, request_id


@dataclass(frozen=True)
class Finished:
    """The end of a reply: who served it and what it cost."""

    provider: str
    input_tokens: int
    output_tokens: int


Piece = str | ToolCallPart | Finished


async def complete(relay: Relay, caller: Caller, ask: Ask) -> AsyncGenerator[Piece, None]:
    """Text deltas and tool calls as they come, then one ``Finished``. Closing it early (the app
    went away) cancels the prompt. Use it under ``contextlib.aclosing``."""
    create = checked(CreateSession, id=request_id(), caller=caller, options=ask.options, initial_prompts=ask.initial)
    session: str = (await relay.call(create))["session"]
    try:
        prompt = checked(Prompt, id=request_id(), caller=caller, session=session, input=ask.input, response_constraint=ask.constraint)
        done: dict[str, Any] = {}
        async with aclosing(relay.stream(prompt)) as replies:
            async for reply in replies:
                if isinstance(reply, Chunk):
                    if reply.delta:
                        yield reply.delta
                    if reply.tool_call is not None:
                        yield reply.tool_call
                elif isinstance(reply, TERMINAL):
                    done = outcome(reply)
        usage = done.get("usage") or {}
        yield Finished(done["provider"], usage.get("inputTokens", 0), usage.get("outputTokens", 0))
    finally:
        relay.send(Destroy(id=request_id(), caller=caller, session=session))
