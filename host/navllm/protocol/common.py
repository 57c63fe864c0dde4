"""Shapes shared by many messages: the caller, chat content, sampling."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticSerializationError


class Model(BaseModel):
    """Wire models: camelCase on the wire, unknown fields rejected, immutable."""

    # defer_build keeps host start-up lean: a schema is built the first time its message arrives.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, defer_build=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    def wire_json(self) -> bytes:
        """``wire()`` as UTF-8 JSON, serialized in one pass (the serializer call skips
        ``model_dump_json``'s argument handling, which costs more than the work on a small reply).
        Lone surrogates, which UTF-8 cannot carry, become U+FFFD; whatever else cannot be
        serialized (too deep, not JSON data) raises."""
        try:
            return self.__pydantic_serializer__.to_json(self, by_alias=True, exclude_none=True)
        except PydanticSerializationError:
            text = json.dumps(self.wire(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


Origin = Annotated[str, Field(max_length=2048)]
# The permissions-policy features of the built-in AI APIs (the task kinds are named alike).
Feature = Literal["language-model", "summarizer", "writer", "rewriter", "proofreader", "translator", "language-detector"]


APP_PREFIX = "app:"  # the origin of an app the user gave a token (``navllm tokens``): ``app:NAME``


class Caller(Model):
    """Who is asking. Set only by the extension background, from the browser's own sender data,
    or by ``navllm serve`` for an app whose token it checked (kind ``app``, origin ``app:NAME``)."""

    kind: Literal["page", "extension", "app"]
    origin: Origin
    top_origin: Origin | None = None
    tab_id: int | None = None
    frame_id: int | None = None
    document_id: str | None = Field(default=None, max_length=128)
    incognito: bool = False
    # Which browser asked, where one process serves several (navllm serve sets it per connection,
    # whatever a frame says); None in a host serving one browser.
    browser: str | None = Field(default=None, max_length=64)
    # For a frame of another origin than the top-level page: the features its embedders' <iframe
    # allow="…"> attributes delegate to it, every ancestor included, as the extension read them
    # from the embedding documents (a page script cannot read its embedder's attribute).
    embedder_allows: list[Feature] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _app_origins_are_apps_only(self) -> Caller:
        """``app:`` origins belong to apps alone, so no page or extension caller can pass for one."""
        if (self.kind == "app") != self.origin.startswith(APP_PREFIX) or (self.kind == "app" and self.top_origin is not None):
            raise ValueError(f"an {APP_PREFIX!r} origin is an app's, and an app caller has only that origin")
        return self

    @property
    def is_admin(self) -> bool:
        return self.kind == "extension"

    @property
    def is_app(self) -> bool:
        return self.kind == "app"


Text = Annotated[str, Field(max_length=4 * 1024 * 1024)]


class TextPart(Model):
    type: Literal["text"] = "text"
    value: Text


class MediaPart(Model):
    """Image or audio input: base64 bytes and a MIME type, decoded by the provider that accepts them."""

    type: Literal["image", "audio"]
    mime_type: str = Field(max_length=128)
    data: str


class ToolCallPart(Model):
    type: Literal["tool-call"] = "tool-call"
    call_id: str = Field(alias="callID", max_length=256)
    name: str = Field(max_length=256)
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolResponsePart(Model):
    """A tool result fed back by the page: ``result`` on success, ``error_message`` on failure."""

    type: Literal["tool-response"] = "tool-response"
    call_id: str = Field(alias="callID", max_length=256)
    name: str = Field(max_length=256)
    result: list[TextPart] | None = None
    error_message: str | None = Field(default=None, max_length=65536)


Part = Annotated[TextPart | MediaPart | ToolCallPart | ToolResponsePart, Field(discriminator="type")]


class Message(Model):
    role: Literal["system", "user", "assistant"]
    content: list[Part] = Field(max_length=4096)
    prefix: bool = False

    @property
    def text(self) -> str:
        return "".join(p.value for p in self.content if isinstance(p, TextPart))


def text_message(role: Literal["system", "user", "assistant"], text: str) -> Message:
    return Message(role=role, content=[TextPart(value=text)])


class Sampling(Model):
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_k: int | None = Field(default=None, ge=1, le=1000)
    top_p: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None
    repetition_penalty: float | None = Field(default=None, gt=0, le=4)
    max_tokens: int | None = Field(default=None, ge=1, le=131072)
    stop: list[str] = Field(default_factory=list, max_length=16)


class Expected(Model):
    type: Literal["text", "image", "audio", "tool-call", "tool-response"]
    languages: list[str] = Field(default_factory=list, max_length=64)


class ToolSpec(Model):
    name: str = Field(min_length=1, max_length=256)
    description: str = Field(min_length=1, max_length=16384)
    input_schema: dict[str, Any]


class JsonSchemaConstraint(Model):
    kind: Literal["json-schema"] = "json-schema"
    schema_: dict[str, Any] | bool = Field(alias="schema")


class RegexConstraint(Model):
    kind: Literal["regex"] = "regex"
    pattern: str = Field(max_length=8192)
    flags: str = Field(default="", max_length=16)


Constraint = Annotated[JsonSchemaConstraint | RegexConstraint, Field(discriminator="kind")]

Availability = Literal["unavailable", "downloadable", "downloading", "available"]
