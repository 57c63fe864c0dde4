"""Tool calls on the local model: how tools are shown to it, the call syntax it must use, and
how calls are read back out of its reply.

The syntax is fixed and documented to the model in a system instruction::

    <tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>

one call per line, after optional text. ``token_mask.py`` turns the same tool list into a grammar
so that once the model opens ``<tool_call>`` it can only write a declared tool's name and
arguments valid against that tool's ``inputSchema``. Results the page feeds back (``tool-response``
parts in a user message) are shown to the model as ``<tool_response>{...}</tool_response>`` blocks
in that user turn, which every chat template can render.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ....protocol.common import Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec

OPEN = "<tool_call>"
CLOSE = "</tool_call>"


def tools_instruction(tools: list[ToolSpec]) -> str:
    listing = "\n".join(_dumps({"name": t.name, "description": t.description, "arguments": t.input_schema}) for t in tools)
    return (
        "You can call the tools below (each with a JSON Schema for its arguments):\n"
        f"{listing}\n"
        "To call tools, write one line per call, exactly like this, and nothing after the calls:\n"
        f'{OPEN}{{"name": "<tool name>", "arguments": {{<arguments as JSON>}}}}{CLOSE}\n'
        "Each result comes back in the next user message as <tool_response>{...}</tool_response>. "
        "When no tool is needed, answer in plain text."
    )


def call_schema(tool: ToolSpec, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema one call to ``tool`` must match (``schema`` is its prepared inputSchema)."""
    return {
        "type": "object",
        "properties": {"name": {"const": tool.name}, "arguments": schema},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def calls_grammar(call_rules: list[str], answer: str | None) -> str:
    """Lark grammar: a reply that is text (or ``answer`` when the reply is constrained) or calls.

    ``call_rules`` are ``%json {...}`` bodies, one per tool. Free text may precede the calls; the
    lazy ``lead`` ends at the first ``<tool_call>``, after which only a valid call can follow.
    """
    tools = "\n".join(f"tool{i}: {rule}" for i, rule in enumerate(call_rules))
    alternatives = " | ".join(f"tool{i}" for i in range(len(call_rules)))
    opening = "lead call" if answer is None else f'"{OPEN}" call'
    return "\n".join(
        [
            "%llguidance {}",
            f"start: {'TEXT' if answer is None else 'answer'} | calls",
            f'calls: {opening} ("\\n"? "{OPEN}" call)* "\\n"?',
            f'lead[lazy]: TEXT "{OPEN}"',
            f'call: "\\n"? ({alternatives}) "\\n"? "{CLOSE}"',
            tools,
            *([f"answer: {answer}"] if answer is not None else []),
            "TEXT: /(?s:.*)/",
        ]
    )


def render_tool_parts(message: Message) -> Message:
    """The message with tool-call and tool-response parts written out as text for the template."""
    if not any(isinstance(p, ToolCallPart | ToolResponsePart) for p in message.content):
        return message
    text, after_tool = "", False
    for part in message.content:
        if isinstance(part, ToolCallPart | ToolResponsePart):
            text += ("\n" if text and not text.endswith("\n") else "") + _tool_part_text(part)
            after_tool = True
        elif isinstance(part, TextPart):
            text += ("\n" if after_tool and part.value else "") + part.value
            after_tool = False
    others = [p for p in message.content if not isinstance(p, TextPart | ToolCallPart | ToolResponsePart)]
    return message.model_copy(update={"content": [TextPart(value=text), *others]})


def _tool_part_text(part: ToolCallPart | ToolResponsePart) -> str:
    if isinstance(part, ToolCallPart):
        return f"{OPEN}{_dumps({'name': part.name, 'arguments': part.arguments})}{CLOSE}"
    reply: dict[str, Any] = {"name": part.name, "callID": part.call_id}
    if part.error_message is not None:
        reply["error"] = part.error_message
    else:
        reply["result"] = "".join(p.value for p in part.result or [])
    return f"<tool_response>{_dumps(reply)}</tool_response>"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class ToolCallSplitter:
    """Turns the model's text deltas into text and ``ToolCallPart`` chunks, as they stream.

    Text is passed on as soon as it can't be the start of ``<tool_call>``; whitespace just before
    a call is formatting and is dropped. A call is emitted once its ``</tool_call>`` arrives; one
    that never completes is returned as text at the end.
    """

    def __init__(self, prefix: str = "") -> None:
        self._pending = ""
        self._in_call = False
        self._calls = 0
        # The page's assistant pre-fill is not part of the reply, but it may have opened a call.
        self.feed(prefix)
        if not self._in_call:
            self._pending = self._pending.lstrip()

    def feed(self, delta: str) -> list[str | ToolCallPart]:
        self._pending += delta
        out: list[str | ToolCallPart] = []
        while True:
            if self._in_call:
                call = self._complete_call()
                if call is None:
                    return out
                out.append(call)
                continue
            start = self._pending.find(OPEN)
            if start < 0:
                keep = _held_back(self._pending)
                text = self._pending[: len(self._pending) - keep]
                self._pending = self._pending[len(text) :]
                if text:
                    out.append(text)
                return out
            if text := self._pending[:start].rstrip():
                out.append(text)
            self._pending = self._pending[start + len(OPEN) :]
            self._in_call = True

    def finish(self) -> list[str | ToolCallPart]:
        """What is left when generation ends: held-back text, or a call cut off (as its text)."""
        rest = (OPEN if self._in_call else "") + self._pending
        self._pending, self._in_call = "", False
        if self._calls and not rest.strip():
            return []
        return [rest] if rest else []

    def _complete_call(self) -> ToolCallPart | None:
        """The call whose body is complete, taken off the buffer; None while it is still open.

        A string argument may itself contain ``</tool_call>``, so the body ends at the first
        closing tag before which the text parses as a call.
        """
        end = self._pending.find(CLOSE)
        while end >= 0:
            try:
                call = json.loads(self._pending[:end])
                part = ToolCallPart(call_id=f"call_{secrets.token_hex(6)}", name=call["name"], arguments=call["arguments"])
            except (ValueError, KeyError, TypeError):
                end = self._pending.find(CLOSE, end + 1)
                continue
            self._pending = self._pending[end + len(CLOSE) :]
            self._in_call = False
            self._calls += 1
            return part
        return None


def _held_back(text: str) -> int:
    """How many trailing characters could still turn out to precede or begin ``<tool_call>``."""
    partial = next((k for k in range(min(len(OPEN) - 1, len(text)), 0, -1) if text.endswith(OPEN[:k])), 0)
    head = text[: len(text) - partial]
    return partial + len(head) - len(head.rstrip())
