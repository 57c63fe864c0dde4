"""OpenAI's request bodies, and what each becomes in the host's protocol.

A completion is one Prompt API session: the conversation up to the last assistant message is
its initial prompts, what follows is the prompt's input (``Ask``). Fields OpenAI defines that
navllm cannot honour are refused by name rather than silently ignored; fields that only
describe the caller (``user``, ``metadata``…) are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..protocol.common import (
    Constraint,
    JsonSchemaConstraint,
    MediaPart,
    Message,
    Part,
    Sampling,
    TextPart,
    ToolCallPart,
    ToolResponsePart,
    ToolSpec,
)
from ..protocol.page import CoreOptions, ModelChoice
from .errors import ApiError

T = TypeVar("T", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ImageUrl(_Body):
    url: str


class ContentPart(_Body):
    type: Literal["text", "image_url"]
    text: str | None = None
    image_url: ImageUrl | None = None


class FunctionCall(_Body):
    name: str
    arguments: str = "{}"


class ToolCall(_Body):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Body):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None


class FunctionSpec(_Body):
    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class Tool(_Body):
    type: Literal["function"]
    function: FunctionSpec


class JsonSchemaFormat(_Body):
    name: str | None = None
    schema_: dict[str, Any] | bool = Field(default=True, alias="schema")


class ResponseFormat(_Body):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class StreamOptions(_Body):
    include_usage: bool = False


class Generating(_Body):
    """What chat and text completions share."""

    model: str | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    n: Literal[1] = 1

    def sampling(self) -> Sampling:
        stop = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return checked(
            Sampling,
            temperature=self.temperature,
            top_p=self.top_p,
            seed=self.seed,
            max_tokens=self.max_completion_tokens or self.max_tokens,
            stop=stop,
        )

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class ChatRequest(Generating):
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[Tool] = Field(default_factory=list)
    tool_choice: Literal["auto", "none"] | None = None
    response_format: ResponseFormat | None = None


class CompletionRequest(Generating):
    prompt: str | list[str]


class EmbeddingRequest(_Body):
    model: str | None = None
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"  # base64: little-endian float32s, what OpenAI's SDKs ask for


@dataclass(frozen=True)
class Ask:
    """One completion in the host's terms: a session's options and initial prompts, one prompt."""

    options: CoreOptions
    initial: list[Message]
    input: list[Message]
    constraint: Constraint | None = None


def parse(model: type[T], body: Any) -> T:
    """``body`` as ``model``, or a 400 naming the first bad field as OpenAI's ``param``."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from None


def checked(cls: type[T], /, **fields: Any) -> T:
    try:
        return cls(**fields)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> ApiError:
    first = exc.errors(include_url=False, include_input=False)[0]
    param = ".".join(str(p) for p in first["loc"]) or None
    return ApiError(400, f"invalid {param or 'request'}: {first['msg']}", param=param, code="invalid_request")


def chat_ask(request: ChatRequest, choice: ModelChoice) -> Ask:
    messages = _messages(request.messages)
    last_reply = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=-1)
    opening = 1 if last_reply < 0 and messages[0].role == "system" else last_reply + 1
    initial, prompt = messages[:opening], messages[opening:]
    if not prompt:
        raise ApiError(400, "the last message must be from the user or a tool", param="messages")
    tools = [] if request.tool_choice == "none" else [_tool(t) for t in request.tools]
    options = checked(CoreOptions, provider=choice.provider, model=choice.model, sampling=request.sampling(), tools=tools)
    return Ask(options, initial, prompt, _constraint(request.response_format))


def completion_ask(request: CompletionRequest, choice: ModelChoice) -> Ask:
    """A text completion on a chat model: the prompt is the user's message."""
    prompts = [request.prompt] if isinstance(request.prompt, str) else request.prompt
    if len(prompts) != 1:
        raise ApiError(400, "navllm completes one prompt per request", param="prompt")
    options = checked(CoreOptions, provider=choice.provider, model=choice.model, sampling=request.sampling())
    return Ask(options, [], [Message(role="user", content=[TextPart(value=prompts[0])])])


def _messages(chat: list[ChatMessage]) -> list[Message]:
    names = {call.id: call.function.name for m in chat for call in m.tool_calls}
    messages = []
    for index, message in enumerate(chat):
        if message.role in ("system", "developer") and index > 0:
            raise ApiError(400, "a system message can only come first", param=f"messages.{index}.role")
        if message.role == "tool":
            result = [TextPart(value=_text(message.content))]
            call_id = message.tool_call_id or ""
            part: Part = ToolResponsePart(call_id=call_id, name=names.get(call_id, ""), result=result)
            messages.append(Message(role="user", content=[part]))
            continue
        role: Literal["system", "user", "assistant"] = "system" if message.role == "developer" else message.role
        content = _parts(message.content, index)
        calls = [_call(call, index) for call in message.tool_calls]
        messages.append(Message(role=role, content=[*content, *calls]))
    return messages


def _text(content: str | list[ContentPart] | None) -> str:
    if isinstance(content, list):
        return "".join(p.text or "" for p in content if p.type == "text")
    return content or ""


def _parts(content: str | list[ContentPart] | None, index: int) -> list[Part]:
    if not isinstance(content, list):
        return [TextPart(value=content)] if content else []
    parts: list[Part] = []
    for part in content:
        if part.type == "text":
            parts.append(TextPart(value=part.text or ""))
        else:
            parts.append(_image(part.image_url, index))
    return parts


def _image(image: ImageUrl | None, index: int) -> MediaPart:
    """An image given inline (``data:image/png;base64,…``); navllm fetches nothing from the web for an app."""
    header, _, data = (image.url if image else "").partition(",")
    if not (header.startswith("data:image/") and header.endswith(";base64") and data):
        raise ApiError(400, "images must be given inline as base64 data: URLs", param=f"messages.{index}.content")
    return MediaPart(type="image", mime_type=header[len("data:") : -len(";base64")], data=data)


def _call(call: ToolCall, index: int) -> ToolCallPart:
    try:
        arguments = json.loads(call.function.arguments or "{}")
    except json.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):
        raise ApiError(400, "a tool call's arguments must be a JSON object", param=f"messages.{index}.tool_calls")
    return ToolCallPart(call_id=call.id, name=call.function.name, arguments=arguments)


def _tool(tool: Tool) -> ToolSpec:
    spec = tool.function
    return checked(ToolSpec, name=spec.name, description=spec.description or spec.name, input_schema=spec.parameters)


def _constraint(response_format: ResponseFormat | None) -> Constraint | None:
    if response_format is None or response_format.type == "text":
        return None
    if response_format.type == "json_object":
        return JsonSchemaConstraint(schema_={"type": "object"})
    if response_format.json_schema is None:
        raise ApiError(400, "response_format json_schema needs its json_schema", param="response_format.json_schema")
    return JsonSchemaConstraint(schema_=response_format.json_schema.schema_)
