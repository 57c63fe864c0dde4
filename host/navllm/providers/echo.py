"""A deterministic backend that echoes its input, as the mock model browser conformance tests assume.

It mirrors the browser's test mock exactly, so that pages and conformance suites get the
same answers through navllm: usage is the UTF-8 length of text plus 100 per non-text part,
the context window is 1000, only English is supported, and the reply is a fixed preamble
followed by everything said since the last reply (the initial prompts on the first reply), tool
calls and tool responses in it written as ``<tool-call>{json}</tool-call>`` and
``<tool-response>{json}</tool-response>``.
With tools declared, an input starting with ``<GenerateSimpleToolCalls>`` or
``<GenerateMultipleToolCalls>`` (stripped from the echo) also yields one call per tool, its
arguments taken from ``Args: {json}`` in the tool's description. With a ``responseConstraint``
the reply is the echo as far as the constraint allows, completed to match it
(``echo_constrained``). It exists for tests and
conformance; pages reach it only when the user enables it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..protocol.common import Availability, Constraint, MediaPart, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec
from ..protocol.page import CoreOptions
from ..settings import ProviderConfig, Settings
from .base import Chunk, Conversation, Generation, ProgressCallback, Provider, Usage, check_expected
from .echo_constrained import constrained_reply

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"
CONTEXT_WINDOW = 1000
PART_COST = 100
LANGUAGES = frozenset({"en"})
TOOL_TRIGGERS = ("<GenerateMultipleToolCalls>", "<GenerateSimpleToolCalls>")
ARGS_HINT = "Args: "
_ACCEPTS = frozenset({"text", "image", "audio", "tool-call", "tool-response"})


def render_part(part: object) -> str:
    if isinstance(part, TextPart):
        return part.value
    if isinstance(part, MediaPart):
        return f"<{part.type}>"
    if isinstance(part, ToolResponsePart):
        outcome = {"result": [p.value for p in part.result]} if part.result is not None else {"errorMessage": part.error_message}
        return f"<tool-response>{json.dumps({'callID': part.call_id, 'name': part.name, **outcome})}</tool-response>"
    if isinstance(part, ToolCallPart):
        return f"<tool-call>{json.dumps({'callID': part.call_id, 'name': part.name, 'arguments': part.arguments})}</tool-call>"
    raise TypeError(f"unexpected part {part!r}")


def _has_text(message: Message) -> bool:
    return any(isinstance(p, TextPart) for p in message.content)


def part_cost(part: object) -> int:
    if isinstance(part, TextPart):
        return len(part.value.encode())
    # The mock keeps only the text of its replies, so the tool calls in a reply cost nothing.
    return 0 if isinstance(part, ToolCallPart) else PART_COST


def usage_of(messages: list[Message]) -> int:
    return sum(part_cost(part) for message in messages for part in message.content)


def languages_supported(options: CoreOptions) -> bool:
    tags = (tag for e in (*options.expected_inputs, *options.expected_outputs) for tag in e.languages)
    return all(tag.split("-")[0].lower() in LANGUAGES for tag in tags)


def _split_trigger(text: str) -> tuple[str | None, str]:
    for trigger in TOOL_TRIGGERS:
        if text.startswith(trigger):
            return trigger, text[len(trigger) :]
    return None, text


def _arguments(description: str) -> dict[str, Any]:
    """The JSON object right after ``Args: `` in a description, up to its first closing brace."""
    start = description.find(ARGS_HINT)
    if start < 0:
        return {}
    start += len(ARGS_HINT)
    end = description.find("}", start)
    if not description.startswith("{", start) or end < 0:
        return {}
    try:
        parsed = json.loads(description[start : end + 1])
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def tool_calls(tools: list[ToolSpec]) -> list[ToolCallPart]:
    return [ToolCallPart(call_id=f"call_{i + 1}", name=t.name, arguments=_arguments(t.description)) for i, t in enumerate(tools)]


class EchoConversation(Conversation):
    def __init__(self, delay: float):
        self.context_window = CONTEXT_WINDOW
        self.model = "echo"
        self._delay = delay

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        return usage_of(messages)

    async def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        messages = [m for m in request.messages if not m.prefix]
        # A reply holds text (the echo's own always do); an assistant message of tool calls alone
        # is history the page supplied, echoed like the rest of its input.
        last_reply = max((i for i, m in enumerate(messages) if m.role == "assistant" and _has_text(m)), default=-1)
        pending = messages[last_reply + 1 :]
        # The trailing user messages are this call's input; a trigger may open it.
        first_input = len(pending)
        while first_input > 0 and pending[first_input - 1].role == "user":
            first_input -= 1
        earlier = "".join(render_part(p) for m in pending[:first_input] for p in m.content)
        current = "".join(render_part(p) for m in pending[first_input:] for p in m.content)
        trigger = None
        if request.tools:
            trigger, current = _split_trigger(current)
        # The preamble streams first, as in the browser's mock; a constrained reply is one piece.
        pieces = [PREAMBLE, earlier + current]
        if request.constraint is not None:
            # Off the loop: the reply is built token by token under the grammar (bounded, but not free).
            pieces = [await asyncio.to_thread(constrained_reply, request, "".join(pieces))]
        await asyncio.sleep(self._delay)
        for piece in pieces:
            if piece:
                yield piece
        if trigger is not None:
            for call in tool_calls(request.tools):
                yield call
        yield Usage(input_tokens=usage_of(request.messages), output_tokens=len("".join(pieces).encode()))

    def clone(self) -> EchoConversation:
        return EchoConversation(self._delay)


class EchoProvider(Provider):
    name = "echo"
    remote = False
    inputs = ("text", "image", "audio")

    def __init__(self, delay: float = 0.0):
        self._delay = delay

    async def availability(self, options: CoreOptions) -> Availability:
        return "available" if check_expected(options, _ACCEPTS) and languages_supported(options) else "unavailable"

    async def open(self, options: CoreOptions, progress: ProgressCallback) -> Conversation:
        progress(0.0)
        progress(1.0)
        return EchoConversation(self._delay)


def from_config(config: ProviderConfig, settings: Settings) -> EchoProvider:
    return EchoProvider(delay=settings.echo_delay_ms / 1000)
