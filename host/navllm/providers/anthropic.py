"""Anthropic's Messages API via the official SDK.

System prompts go in ``system``, consecutive same-role turns are merged (the API wants them
alternating), tool results lead the user turn that carries them, and JSON Schema constraints
use the API's native structured output. ``measure`` asks the count-tokens endpoint and falls
back to the shared estimate when it cannot be reached. Of the sampling options only the
token cap and stop sequences are sent: this version of the API takes no temperature or top-k.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..protocol.common import Constraint, MediaPart, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec
from ..protocol.errors import NavError
from ..settings import ProviderConfig, Settings
from .base import Chunk, Generation, Usage
from .remote import (
    IMAGE_TYPES,
    MB,
    MediaRules,
    RemoteConversation,
    RemoteProvider,
    ReplyBudget,
    SdkErrors,
    StreamCut,
    estimate_tokens,
    json_schema_of,
)

log = logging.getLogger(__name__)

# The API requires a cap on the reply; used when the page sets none.
DEFAULT_MAX_TOKENS = 4096
COUNT_TIMEOUT = 5.0
# Images only, as JPEG, PNG, GIF or WebP; Anthropic documents 5 MB per image (counted base64)
# and 32 MB per request, of which text and tools keep a little.
MEDIA = MediaRules(types={"image": {t: t for t in IMAGE_TYPES}}, part_bytes=5 * MB, request_bytes=30 * MB)


def to_request(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """(system text, alternating user/assistant turns with content blocks)."""
    system = "\n\n".join(m.text for m in messages if m.role == "system")
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": message.role, "content": blocks})
    for turn in turns:  # tool results must come first in their turn
        turn["content"].sort(key=lambda b: b["type"] != "tool_result")
    return system, turns


def _blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            if part.value:
                blocks.append({"type": "text", "text": part.value})
        elif isinstance(part, MediaPart):  # an image (``check_media`` refused anything else)
            blocks.append({"type": "image", "source": {"type": "base64", "media_type": part.mime_type, "data": part.data}})
        elif isinstance(part, ToolCallPart):
            blocks.append({"type": "tool_use", "id": part.call_id, "name": part.name, "input": part.arguments})
        elif isinstance(part, ToolResponsePart):
            failed = part.error_message is not None
            text = part.error_message if failed else "".join(p.value for p in part.result or [])
            blocks.append({"type": "tool_result", "tool_use_id": part.call_id, "content": text or "", "is_error": failed})
    return blocks


def to_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]


class AnthropicConversation(RemoteConversation):
    _counting = True

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        system, turns = to_request(messages)
        if self._counting and turns and self._media_fits(messages):
            args: dict[str, Any] = {"model": self.model, "messages": turns}
            if system:
                args["system"] = system
            if tools:
                args["tools"] = to_tools(tools)
            try:
                client = self.provider.client(self.secret).with_options(timeout=COUNT_TIMEOUT)
                async with asyncio.timeout(COUNT_TIMEOUT):  # in all, not per read: a trickle falls back too
                    counted = await client.messages.count_tokens(**args)
                tokens: int = counted.input_tokens
                return tokens
            except Exception as exc:  # unreachable or unsupported: estimate from here on
                log.info("%s: token counting unavailable (%s); estimating", self.provider.name, type(exc).__name__)
                self._counting = False
        return estimate_tokens(messages, constraint, tools)

    def _media_fits(self, messages: list[Message]) -> bool:
        """Count only what ``generate`` would send: media it refuses are refused there, with the reason."""
        try:
            self.provider.check_media(messages)
        except NavError:
            return False
        return True

    async def start(self, request: Generation) -> Any:
        sampling = request.sampling
        system, turns = to_request(request.messages)
        args: dict[str, Any] = {
            "model": self.model,
            "messages": turns,
            "max_tokens": sampling.max_tokens or DEFAULT_MAX_TOKENS,
            "stream": True,
        }
        if system:
            args["system"] = system
        if sampling.stop:
            args["stop_sequences"] = sampling.stop
        if request.tools:
            args["tools"] = to_tools(request.tools)
        if (schema := json_schema_of(request.constraint)) is not None:
            args["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        return await self.provider.client(self.secret).messages.create(**args)

    async def chunks(self, stream: Any, budget: ReplyBudget) -> AsyncGenerator[Chunk, None]:
        tools: dict[int, dict[str, str]] = {}
        input_tokens = output_tokens = 0
        finished = False
        async for event in stream:
            kind = event.type
            if kind == "message_start":
                input_tokens = event.message.usage.input_tokens or 0
                output_tokens = event.message.usage.output_tokens or 0
            elif kind == "content_block_start" and event.content_block.type == "tool_use":
                block = event.content_block
                tools[event.index] = {"id": block.id, "name": block.name, "json": ""}
            elif kind == "content_block_delta":
                if event.delta.type == "text_delta":
                    if event.delta.text:
                        budget.spend(event.delta.text)
                        yield event.delta.text
                elif event.delta.type == "input_json_delta" and event.index in tools:
                    budget.spend(event.delta.partial_json)
                    tools[event.index]["json"] += event.delta.partial_json
            elif kind == "content_block_stop" and event.index in tools:
                call = tools.pop(event.index)
                arguments = json.loads(call["json"] or "{}")
                yield ToolCallPart(call_id=call["id"], name=call["name"], arguments=arguments if isinstance(arguments, dict) else {})
            elif kind == "message_delta":
                output_tokens = event.usage.output_tokens or output_tokens
            elif kind == "message_stop":
                finished = True
        if not finished:
            raise StreamCut
        yield Usage(input_tokens=input_tokens, output_tokens=output_tokens)


class AnthropicProvider(RemoteProvider):
    conversation_class = AnthropicConversation
    media = MEDIA

    def errors(self) -> SdkErrors:
        import anthropic

        return SdkErrors(status=anthropic.APIStatusError, timeout=anthropic.APITimeoutError, connection=anthropic.APIConnectionError)

    def make_client(self, secret: str) -> Any:
        from anthropic import AsyncAnthropic, DefaultAsyncHttpxClient

        from .bounded import bounded_client

        http = bounded_client(DefaultAsyncHttpxClient, self.limits)
        return AsyncAnthropic(base_url=self.base_url, api_key=secret, max_retries=0, timeout=self.timeout, http_client=http)


def from_config(config: ProviderConfig, settings: Settings) -> AnthropicProvider:
    return AnthropicProvider(config)
