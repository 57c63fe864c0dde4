"""What the model is told under constraints: the messages its chat template renders.

Tools are listed in the system turn, the constraint's text is appended to the last user turn
(unless ``omitResponseConstraintInput``: a mask alone leaves a small model guessing, so by
default it also reads what is asked of it), and tool calls and results are written out as text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ....protocol.common import Constraint, JsonSchemaConstraint, Message, RegexConstraint, TextPart, ToolSpec
from .tool_calls import render_tool_parts, tools_instruction


def prepare(
    messages: Sequence[Message], *, constraint: Constraint | None, tools: Sequence[ToolSpec], omit_constraint_input: bool
) -> list[Message]:
    """The conversation as the model should see it."""
    out = [render_tool_parts(m) for m in messages]
    if tools:
        out = _add_to_system(out, tools_instruction(list(tools)))
    if constraint is not None and not omit_constraint_input:
        out = _add_to_last_user(out, constraint_instruction(constraint))
    return out


def constraint_instruction(constraint: JsonSchemaConstraint | RegexConstraint) -> str:
    if isinstance(constraint, RegexConstraint):
        return f"Reply only with text that matches this regular expression: /{constraint.pattern}/{constraint.flags}"
    schema = json.dumps(constraint.schema_, ensure_ascii=False)
    return f"Reply only with JSON, and no other text, that conforms to this JSON Schema:\n{schema}"


def _add_to_system(messages: list[Message], text: str) -> list[Message]:
    if messages and messages[0].role == "system":
        first = messages[0]
        return [_with_text(first, first.text + "\n\n" + text), *messages[1:]]
    return [Message(role="system", content=[TextPart(value=text)]), *messages]


def _add_to_last_user(messages: list[Message], text: str) -> list[Message]:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            return [*messages[:i], _with_text(messages[i], messages[i].text + "\n\n" + text), *messages[i + 1 :]]
    return _add_to_system(messages, text)


def _with_text(message: Message, text: str) -> Message:
    others = [p for p in message.content if not isinstance(p, TextPart)]
    return message.model_copy(update={"content": [TextPart(value=text), *others]})
