"""Any OpenAI-compatible chat endpoint (OpenAI, OpenRouter, Groq, Ollama, vLLM, …) via the official SDK.

Chat Completions is the dialect every compatible server speaks, so that is what we use:
streamed, with ``stream_options.include_usage`` so the last event carries the token counts.
Sampling sends temperature, top-p, seed, stop and the token cap; top-k and repetition
penalty are not part of that dialect and are left to the server's defaults. Context usage
is the shared estimate (``remote.estimate_tokens``): the dialect has no counting endpoint.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from ..protocol.common import MediaPart, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec
from ..settings import ProviderConfig, Settings
from .base import Chunk, Generation, Usage
from .remote import IMAGE_TYPES, MB, MediaRules, RemoteConversation, RemoteProvider, ReplyBudget, SdkErrors, StreamCut, json_schema_of

# Chat Completions takes audio as WAV or MP3 only (``input_audio.format``); pages always send WAV.
# OpenAI documents up to 50 MB of images per request and 20 MB per image.
MEDIA = MediaRules(
    types={
        "image": {t: t for t in IMAGE_TYPES},
        "audio": {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"},
    },
    part_bytes=20 * MB,
    request_bytes=48 * MB,
)


def to_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Prompt API messages as Chat Completions messages (tool results become ``tool`` messages)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            calls = [p for p in message.content if isinstance(p, ToolCallPart)]
            if calls:
                entry["tool_calls"] = [
                    {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}} for c in calls
                ]
            out.append(entry)
            continue
        for part in message.content:
            if isinstance(part, ToolResponsePart):
                out.append({"role": "tool", "tool_call_id": part.call_id, "content": _tool_result(part)})
        parts = [p for p in message.content if isinstance(p, (TextPart, MediaPart))]
        if not parts:
            continue
        if all(isinstance(p, TextPart) for p in parts) or message.role == "system":
            out.append({"role": message.role, "content": "".join(p.value for p in parts if isinstance(p, TextPart))})
        else:
            out.append({"role": message.role, "content": [_content_part(p) for p in parts]})
    return out


def _tool_result(part: ToolResponsePart) -> str:
    if part.error_message is not None:
        return f"error: {part.error_message}"
    return "".join(p.value for p in part.result or [])


def _content_part(part: TextPart | MediaPart) -> dict[str, Any]:
    """A content part as the Chat Completions API documents it (media already passed ``check_media``)."""
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.value}
    if part.type == "image":
        return {"type": "image_url", "image_url": {"url": f"data:{part.mime_type};base64,{part.data}"}}
    return {"type": "input_audio", "input_audio": {"data": part.data, "format": MEDIA.types["audio"][part.mime_type]}}


def to_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}} for t in tools]


class OpenAIConversation(RemoteConversation):
    async def start(self, request: Generation) -> Any:
        sampling = request.sampling
        args: dict[str, Any] = {
            "model": self.model,
            "messages": to_messages(request.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if sampling.temperature is not None:
            args["temperature"] = sampling.temperature
        if sampling.top_p is not None:
            args["top_p"] = sampling.top_p
        if sampling.seed is not None:
            args["seed"] = sampling.seed
        if sampling.stop:
            args["stop"] = sampling.stop
        if sampling.max_tokens is not None:
            # OpenAI's own API wants the newer name; compatible servers know the older one.
            args["max_completion_tokens" if self.provider.preset.id == "openai" and not self.provider.config.base_url else "max_tokens"] = (
                sampling.max_tokens
            )
        if request.tools:
            args["tools"] = to_tools(request.tools)
        if (schema := json_schema_of(request.constraint)) is not None:
            args["response_format"] = {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}
        return await self.provider.client(self.secret).chat.completions.create(**args)

    async def chunks(self, stream: Any, budget: ReplyBudget) -> AsyncGenerator[Chunk, None]:
        calls: dict[int, dict[str, str]] = {}
        usage: Usage | None = None
        finished = False
        async for event in stream:
            if event.usage is not None:
                usage = Usage(input_tokens=event.usage.prompt_tokens, output_tokens=event.usage.completion_tokens)
            for choice in event.choices:
                delta = choice.delta
                if delta is not None and delta.content:
                    budget.spend(delta.content)
                    yield delta.content
                for call in (delta.tool_calls if delta is not None else None) or []:
                    slot = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    slot["id"] = call.id or slot["id"]
                    if call.function is not None:
                        name, arguments = call.function.name or "", call.function.arguments or ""
                        budget.spend(name + arguments)
                        slot["name"] += name
                        slot["arguments"] += arguments
                if choice.finish_reason:
                    finished = True
        if not finished:
            raise StreamCut
        for slot in calls.values():
            arguments = json.loads(slot["arguments"] or "{}")
            yield ToolCallPart(call_id=slot["id"], name=slot["name"], arguments=arguments if isinstance(arguments, dict) else {})
        if usage is not None:
            yield usage


class OpenAIProvider(RemoteProvider):
    conversation_class = OpenAIConversation
    media = MEDIA

    def errors(self) -> SdkErrors:
        import openai

        return SdkErrors(status=openai.APIStatusError, timeout=openai.APITimeoutError, connection=openai.APIConnectionError)

    def make_client(self, secret: str) -> Any:
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        from .bounded import bounded_client

        http = bounded_client(DefaultAsyncHttpxClient, self.limits)
        return AsyncOpenAI(base_url=self.base_url, api_key=secret, max_retries=0, timeout=self.timeout, http_client=http)


def from_config(config: ProviderConfig, settings: Settings) -> OpenAIProvider:
    return OpenAIProvider(config)
