"""A deterministic backend that echoes its input, as the mock model browser conformance tests assume.

Usage is counted in characters (plus 100 per image or audio part), the context window is
1000, and the reply is a fixed preamble followed by everything the user side said since the
last reply. It exists for tests and conformance; pages reach it only when the user enables it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from ..protocol.common import MediaPart, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec
from ..protocol.page import CoreOptions
from .base import Chunk, Conversation, Generation, ProgressCallback, Provider, Usage, check_expected

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"
CONTEXT_WINDOW = 1000
MEDIA_COST = 100
_ACCEPTS = frozenset({"text", "image", "audio", "tool-call", "tool-response"})


def render_part(part: object) -> str:
    if isinstance(part, TextPart):
        return part.value
    if isinstance(part, MediaPart):
        return f"<{part.type}>"
    if isinstance(part, ToolResponsePart):
        if part.error_message is not None:
            return f"<tool-error id='{part.call_id}' name='{part.name}' message='{part.error_message}'>"
        result = ",".join(p.value for p in part.result or [])
        return f"<tool-success id='{part.call_id}' name='{part.name}' result=[{result}]>"
    if isinstance(part, ToolCallPart):
        return ""
    raise TypeError(f"unexpected part {part!r}")


def usage_of(messages: list[Message]) -> int:
    total = 0
    for message in messages:
        for part in message.content:
            total += MEDIA_COST if isinstance(part, MediaPart) else len(render_part(part))
    return total


class EchoConversation(Conversation):
    def __init__(self, delay: float):
        self.context_window = CONTEXT_WINDOW
        self.model = "echo"
        self._delay = delay

    async def measure(self, messages: list[Message], *, constraint=None, tools: list[ToolSpec] = ()) -> int:
        return usage_of(messages)

    async def generate(self, request: Generation) -> AsyncIterator[Chunk]:
        messages = request.messages
        last_reply = max((i for i, m in enumerate(messages) if m.role == "assistant" and not m.prefix), default=-1)
        pending = [m for m in messages[last_reply + 1 :] if not m.prefix]
        echoed = "".join(render_part(p) for m in pending for p in m.content)
        await asyncio.sleep(self._delay)
        calls = _tool_calls(echoed, request.tools)
        if calls:
            for call in calls:
                yield call
        else:
            for piece in (PREAMBLE, echoed):
                if piece:
                    yield piece
        yield Usage(input_tokens=usage_of(messages), output_tokens=len(PREAMBLE) + len(echoed))

    def clone(self) -> EchoConversation:
        return EchoConversation(self._delay)


_SIMPLE_CALLS = "<GenerateSimpleToolCalls>"


def _tool_calls(text: str, tools: list[ToolSpec]) -> list[ToolCallPart]:
    """A prompt starting with the simple-tool-call marker asks for one call per declared tool,
    with arguments taken from ``Args: {json}`` in that tool's description."""
    if not tools or not text.startswith(_SIMPLE_CALLS):
        return []
    calls = []
    for index, tool in enumerate(tools):
        _, _, args = tool.description.partition("Args:")
        try:
            arguments = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            arguments = {}
        calls.append(ToolCallPart(call_id=f"call_{index}", name=tool.name, arguments=arguments if isinstance(arguments, dict) else {}))
    return calls


class EchoProvider(Provider):
    name = "echo"
    remote = False

    def __init__(self, delay: float = 0.0):
        self._delay = delay

    async def availability(self, options: CoreOptions):
        return "available" if check_expected(options, _ACCEPTS) else "unavailable"

    async def open(self, options: CoreOptions, progress: ProgressCallback) -> Conversation:
        progress(0.0)
        progress(1.0)
        return EchoConversation(self._delay)


def from_config(config, settings) -> EchoProvider:
    return EchoProvider(delay=settings.echo_delay_ms / 1000)
