"""An Anthropic Messages API server: the typed SSE events (message_start … message_stop), count_tokens, models.

Its answer mirrors ``fake_openai``: "You said: " then the last user text in two text deltas;
"call …" makes it use the first tool (input streamed as ``input_json_delta``). Usage:
input tokens = words in system and messages (also what count_tokens answers), output
tokens = number of deltas, reported in ``message_start`` and ``message_delta``.
"""

from __future__ import annotations

import json
from typing import Any

from fake_http import FakeServer, Script, sse, status

MODEL = "claude-fake"


def words(body: dict[str, Any]) -> int:
    total = len((body.get("system") or "").split()) if isinstance(body.get("system"), str) else 0
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            total += len(content.split())
        else:
            total += sum(len(b.get("text", "").split()) for b in content if b.get("type") == "text")
    return total


def event(data: dict[str, Any]) -> bytes:
    return sse(data, event=data["type"])


def message_stream(blocks: list[dict[str, Any]], input_tokens: int, output_tokens: int, stop: str = "end_turn") -> list[bytes]:
    """``blocks``: {"text": [pieces]} or {"tool": name, "id": id, "json": [fragments]}."""
    events = [
        event(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": MODEL,
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                },
            }
        ),
        event({"type": "ping"}),
    ]
    for index, block in enumerate(blocks):
        if "text" in block:
            events.append(event({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}))
            events += [
                event({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": t}}) for t in block["text"]
            ]
        else:
            events.append(
                event(
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "tool_use", "id": block["id"], "name": block["tool"], "input": {}},
                    }
                )
            )
            events += [
                event({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": j}})
                for j in block["json"]
            ]
        events.append(event({"type": "content_block_stop", "index": index}))
    events.append(
        event({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": output_tokens}})
    )
    events.append(event({"type": "message_stop"}))
    return events


def error_event(kind: str, message: str) -> bytes:
    return event({"type": "error", "error": {"type": kind, "message": message}})


class FakeAnthropic(FakeServer):
    generate_path = "/v1/messages"
    count_tokens = True

    def presented_key(self, headers: dict[str, str]) -> str | None:
        # The API takes the key as x-api-key or as a bearer token (this SDK version sends the latter).
        auth = headers.get("authorization", "")
        return headers.get("x-api-key") or (auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None)

    def unauthorized(self, presented: str) -> Script:
        return status(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})

    def reply(self, body: Any) -> Script:
        last = next(m for m in reversed(body["messages"]) if m["role"] == "user")
        content = last["content"]
        text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content if b.get("type") == "text")
        if body.get("tools") and text.startswith("call "):
            arguments = json.dumps({"q": text.removeprefix("call ")})
            block = {"tool": body["tools"][0]["name"], "id": "toolu_1", "json": [arguments[:5], arguments[5:]]}
            return Script(events=message_stream([block], words(body), 2, stop="tool_use"))
        if (body.get("output_config") or {}).get("format", {}).get("type") == "json_schema":
            pieces = ['{"answer": ', '"ok"}']
        else:
            pieces = ["You said: ", text]
        return Script(events=message_stream([{"text": pieces}], words(body), len(pieces)))

    def other(self, method: str, path: str, body: Any) -> Script:
        if method == "POST" and path.startswith("/v1/messages/count_tokens") and self.count_tokens:
            return status(200, {"input_tokens": words(body)})
        if method == "GET" and path.startswith("/v1/models"):
            return status(
                200,
                {
                    "data": [{"type": "model", "id": MODEL, "display_name": "Fake", "created_at": "2025-01-01T00:00:00Z"}],
                    "has_more": False,
                    "first_id": MODEL,
                    "last_id": MODEL,
                },
            )
        return super().other(method, path, body)
