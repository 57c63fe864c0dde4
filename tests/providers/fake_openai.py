"""An OpenAI-compatible server: Chat Completions streaming (SSE, ``[DONE]``), ``/models``, errors as OpenAI sends them.

Its answer is deterministic: "You said: " then the last user text, in two deltas; a prompt
starting with "call " makes it call the first declared tool; a ``json_schema`` response
format gets a JSON reply. Usage: prompt tokens = words in all messages, completion tokens =
number of deltas, sent in a final usage chunk when ``stream_options.include_usage`` asks.
"""

from __future__ import annotations

import json
from typing import Any

from fake_http import FakeServer, Script, sse, status

MODEL = "fake-gpt"


def _words(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content") or ""
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if p.get("type") == "text")
        total += len(content.split())
    return total


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, usage: dict | None = None) -> bytes:
    event: dict[str, Any] = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": MODEL}
    event["choices"] = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    if usage is not None:
        event["usage"] = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
    return sse(event)


def text_stream(pieces: list[str], prompt_tokens: int = 7, usage: bool = True) -> list[bytes]:
    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in pieces]
    events.append(chunk({}, finish="stop"))
    if usage:
        events.append(chunk(None, usage={"prompt_tokens": prompt_tokens, "completion_tokens": len(pieces)}))
    return [*events, sse("[DONE]")]


class FakeOpenAI(FakeServer):
    generate_path = "/chat/completions"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def presented_key(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    def unauthorized(self, presented: str) -> Script:
        # OpenAI echoes a masked key in this message: the host must not pass it on.
        masked = f"{presented[:8]}***{presented[-4:]}" if len(presented) > 12 else presented
        return status(
            401,
            {
                "error": {
                    "message": f"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
        )

    def reply(self, body: Any) -> Script:
        messages = body["messages"]
        last = next((m for m in reversed(messages) if m["role"] == "user"), {"content": ""})
        text = last["content"] if isinstance(last["content"], str) else " ".join(p.get("text", "") for p in last["content"])
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if body.get("tools") and text.startswith("call "):
            name = body["tools"][0]["function"]["name"]
            arguments = json.dumps({"q": text.removeprefix("call ")})
            half = len(arguments) // 2
            events = [
                chunk(
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments[:half]}}
                        ],
                    }
                ),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}),
                chunk({}, finish="tool_calls"),
            ]
            if with_usage:
                events.append(chunk(None, usage={"prompt_tokens": _words(messages), "completion_tokens": 2}))
            return Script(events=[*events, sse("[DONE]")])
        json_schema = (body.get("response_format") or {}).get("type") == "json_schema"
        pieces = ['{"answer": ', '"ok"}'] if json_schema else ["You said: ", text]
        return Script(events=text_stream(pieces, _words(messages), with_usage))

    def other(self, method: str, path: str, body: Any) -> Script:
        if method == "GET" and path.endswith("/models"):
            return status(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "navllm-tests"}]})
        return super().other(method, path, body)
