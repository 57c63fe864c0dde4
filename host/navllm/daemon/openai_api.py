"""The OpenAI-compatible routes: /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings.

Replies and stream chunks have OpenAI's shapes; streams are Server-Sent Events ending with
``data: [DONE]``. A model id is a provider name (``local``), ``provider/model``, or a model a
provider lists; ``GET /v1/models`` lists those the token may use.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from aiohttp import web

from ..protocol.common import ToolCallPart
from ..protocol.errors import NavError
from ..protocol.page import Embed, ModelChoice
from ..wire.framing import Malformed, decode
from .auth import CORE, caller
from .chat import Ask, ChatRequest, CompletionRequest, EmbeddingRequest, Generating, chat_ask, checked, completion_ask, parse
from .complete import Finished, Piece, complete
from .errors import ApiError, dumps, from_host
from .relay import Relay, request_id

RELAY = web.AppKey("relay", Relay)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/models", list_models)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/completions", completions)
    app.router.add_post("/v1/embeddings", embeddings)


async def json_body(request: web.Request) -> Any:
    """The request's JSON, as bounded as a native-messaging frame: the size by the app's
    ``client_max_size`` (413 past it), the nesting by the wire's depth check."""
    try:
        return decode(await request.read())
    except Malformed as exc:
        raise ApiError(400, f"the body is not JSON: {exc}", code="invalid_json") from None


async def list_models(request: web.Request) -> web.Response:
    core = request.app[CORE]
    granted = core.gate.granted(caller(request), core.router.chain())
    ids = [(p.name, p.name) for p in granted]
    ids += [(f"{entry['provider']}/{entry['model']}", entry["provider"]) for entry in await core.router.models(granted) if "model" in entry]
    data = [{"id": model, "object": "model", "created": 0, "owned_by": owner} for model, owner in ids]
    return web.json_response({"object": "list", "data": data}, dumps=dumps)


async def choose(request: web.Request, model: str | None) -> ModelChoice:
    """The provider (and model) ``model`` names among those the token may use; 404 for any other."""
    if not model:
        return ModelChoice()  # the user's chain, in order
    core = request.app[CORE]
    granted = core.gate.granted(caller(request), core.router.chain())
    for provider in granted:
        if model == provider.name:
            return ModelChoice(provider=provider.name)
        if model.startswith(provider.name + "/"):
            return checked(ModelChoice, provider=provider.name, model=model[len(provider.name) + 1 :])
    for entry in await core.router.models(granted):
        if entry.get("model") == model:
            return checked(ModelChoice, provider=entry["provider"], model=model)
    raise ApiError(
        404,
        f"the model {model[:256]!r} does not exist or this token may not use it; GET /v1/models lists those it may",
        "invalid_request_error",
        param="model",
        code="model_not_found",
    )


async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = parse(ChatRequest, await json_body(request))
    ask = chat_ask(body, await choose(request, body.model))
    return await generate(request, body, ask, ChatFormat(body.model))


async def completions(request: web.Request) -> web.StreamResponse:
    body = parse(CompletionRequest, await json_body(request))
    ask = completion_ask(body, await choose(request, body.model))
    return await generate(request, body, ask, TextFormat(body.model))


async def embeddings(request: web.Request) -> web.Response:
    body = parse(EmbeddingRequest, await json_body(request))
    choice = await choose(request, body.model)
    texts = [body.input] if isinstance(body.input, str) else body.input
    embed = checked(Embed, id=request_id(), caller=caller(request), texts=texts, provider=choice.provider, model=choice.model)
    try:
        vectors = await request.app[RELAY].call(embed)
    except NavError as err:
        raise from_host(err) from None
    encode = _base64_floats if body.encoding_format == "base64" else list
    data = [{"object": "embedding", "index": i, "embedding": encode(v)} for i, v in enumerate(vectors)]
    return web.json_response(
        {"object": "list", "data": data, "model": body.model or "", "usage": {"prompt_tokens": 0, "total_tokens": 0}}, dumps=dumps
    )


class ChatFormat:
    """Chat completion objects and chunks."""

    def __init__(self, model: str | None):
        self.id = _id("chatcmpl-")
        self.created = int(time.time())
        self.model = model

    def _object(self, kind: str, choices: list[dict[str, Any]], end: Finished | None = None) -> dict[str, Any]:
        model = self.model or (end.provider if end else "")
        reply: dict[str, Any] = {"id": self.id, "object": kind, "created": self.created, "model": model, "choices": choices}
        if end is not None:
            reply["usage"] = _usage(end)
        return reply

    def whole(self, text: str, calls: list[ToolCallPart], end: Finished, reason: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
        if calls:
            message["tool_calls"] = [_tool_call(call) for call in calls]
        return self._object("chat.completion", [{"index": 0, "message": message, "finish_reason": reason, "logprobs": None}], end)

    def opening(self) -> dict[str, Any] | None:
        return self._chunk({"role": "assistant", "content": ""})

    def delta(self, piece: str | ToolCallPart, calls_so_far: int) -> dict[str, Any]:
        if isinstance(piece, str):
            return self._chunk({"content": piece})
        return self._chunk({"tool_calls": [{"index": calls_so_far, **_tool_call(piece)}]})

    def closing(self, reason: str) -> dict[str, Any]:
        return self._chunk({}, reason)

    def usage(self, end: Finished) -> dict[str, Any]:
        return self._object("chat.completion.chunk", [], end)

    def _chunk(self, delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return self._object("chat.completion.chunk", [{"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}])


class TextFormat(ChatFormat):
    """Text completion objects; their stream chunks have the same ``object`` as the whole reply."""

    def __init__(self, model: str | None):
        super().__init__(model)
        self.id = _id("cmpl-")

    def whole(self, text: str, calls: list[ToolCallPart], end: Finished, reason: str) -> dict[str, Any]:
        return self._object("text_completion", [{"index": 0, "text": text, "finish_reason": reason, "logprobs": None}], end)

    def opening(self) -> dict[str, Any] | None:
        return None

    def delta(self, piece: str | ToolCallPart, calls_so_far: int) -> dict[str, Any]:
        return self._text(piece if isinstance(piece, str) else "")

    def closing(self, reason: str) -> dict[str, Any]:
        return self._text("", reason)

    def usage(self, end: Finished) -> dict[str, Any]:
        return self._object("text_completion", [], end)

    def _text(self, text: str, reason: str | None = None) -> dict[str, Any]:
        return self._object("text_completion", [{"index": 0, "text": text, "finish_reason": reason, "logprobs": None}])


async def generate(request: web.Request, body: Generating, ask: Ask, form: ChatFormat) -> web.StreamResponse:
    pieces = complete(request.app[RELAY], caller(request), ask)
    if body.stream:
        return await _stream(request, body.include_usage, ask, pieces, form)
    text: list[str] = []
    calls: list[ToolCallPart] = []
    end: Finished | None = None
    async with aclosing(pieces):
        try:
            async for piece in pieces:
                if isinstance(piece, Finished):
                    end = piece
                elif isinstance(piece, str):
                    text.append(piece)
                else:
                    calls.append(piece)
        except NavError as err:
            raise from_host(err) from None
    assert end is not None  # the pieces end with Finished or an error
    return web.json_response(form.whole("".join(text), calls, end, _finish(ask, len(calls), end)), dumps=dumps)


async def _stream(
    request: web.Request, include_usage: bool, ask: Ask, pieces: AsyncGenerator[Piece, None], form: ChatFormat
) -> web.StreamResponse:
    """Server-Sent Events, opened at the first piece: an error before it (the token's scope, a
    quota) is still an HTTP status; one after it is an ``error`` event that ends the stream."""
    response: web.StreamResponse | None = None
    calls = 0
    async with aclosing(pieces):
        try:
            async for piece in pieces:
                if response is None:
                    response = await _open(request)
                    await _send(response, form.opening())
                if isinstance(piece, Finished):
                    await _send(response, form.closing(_finish(ask, calls, piece)))
                    if include_usage:
                        await _send(response, form.usage(piece))
                    await response.write(b"data: [DONE]\n\n")
                else:
                    await _send(response, form.delta(piece, calls))
                    calls += isinstance(piece, ToolCallPart)
        except NavError as err:
            if response is None:
                raise from_host(err) from None
            await _send(response, from_host(err).body())
    assert response is not None  # the pieces end with Finished or an error
    await response.write_eof()
    return response


async def _open(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    return response


async def _send(response: web.StreamResponse, event: dict[str, Any] | None) -> None:
    if event is not None:
        await response.write(b"data: " + dumps(event).encode() + b"\n\n")


def _finish(ask: Ask, calls: int, end: Finished) -> str:
    """OpenAI's ``finish_reason``: the model called tools, ran into ``max_tokens``, or stopped."""
    if calls:
        return "tool_calls"
    limit = ask.options.sampling.max_tokens
    return "length" if limit is not None and end.output_tokens >= limit else "stop"


def _usage(end: Finished) -> dict[str, int]:
    return {"prompt_tokens": end.input_tokens, "completion_tokens": end.output_tokens, "total_tokens": end.input_tokens + end.output_tokens}


def _tool_call(call: ToolCallPart) -> dict[str, Any]:
    return {"id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}


def _base64_floats(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)
