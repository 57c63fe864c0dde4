"""Requests a web page may make (relayed by the extension background with the caller attached).

They cover the whole Prompt API: sessions with history, append, clone, context usage and
overflow, response constraints, tools and download progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from .common import Caller, Constraint, Expected, Message, Model, Sampling, ToolSpec

RequestId = str
SessionId = str
Name = str


def _system_only_first(messages: list[Message]) -> list[Message]:
    """The Prompt API lets a system message open a list of messages, never follow one; a list
    that breaks this is refused as a TypeError, as the page refuses it."""
    if any(m.role == "system" for m in messages[1:]):
        raise ValueError("a system message can only be the first message")
    return messages


# Messages as initialPrompts or as one call's input. Whether a system message may open a
# call's input depends on the session's history, which dispatch checks.
Messages = Annotated[list[Message], Field(max_length=4096), AfterValidator(_system_only_first)]


class Envelope(Model):
    id: RequestId = Field(min_length=1, max_length=64)
    caller: Caller

    if TYPE_CHECKING:  # each request declares its own ``type`` discriminator (a Literal field)
        type: str


class Hello(Envelope):
    """First message on a port: versions both ways, and what the host can do."""

    type: Literal["hello"] = "hello"
    extension_version: str = Field(max_length=32)
    protocol: int = Field(ge=1)


class Cancel(Envelope):
    """Stop the request ``target`` (sent by the same caller); it ends with AbortError."""

    type: Literal["cancel"] = "cancel"
    target: RequestId = Field(min_length=1, max_length=64)


class ModelChoice(Model):
    """Which backend to use: a provider name from the user's chain and optionally one of its models."""

    provider: Name | None = Field(default=None, max_length=64)
    model: Name | None = Field(default=None, max_length=256)


class CoreOptions(ModelChoice):
    sampling: Sampling = Sampling()
    expected_inputs: list[Expected] = Field(default_factory=list, max_length=16)
    expected_outputs: list[Expected] = Field(default_factory=list, max_length=16)
    tools: list[ToolSpec] = Field(default_factory=list, max_length=128)


class Availability(Envelope):
    type: Literal["availability"] = "availability"
    options: CoreOptions = CoreOptions()


class Params(Envelope):
    type: Literal["params"] = "params"
    options: ModelChoice = ModelChoice()


class CreateSession(Envelope):
    """Open a session; progress replies report model download/load, then ``done`` with the session."""

    type: Literal["create"] = "create"
    options: CoreOptions = CoreOptions()
    initial_prompts: Messages = Field(default_factory=list)


class SessionRequest(Envelope):
    session: SessionId = Field(min_length=1, max_length=64)


class Prompt(SessionRequest):
    """Generate a reply: ``chunk`` replies carry deltas (text or tool calls), ``done`` ends it."""

    type: Literal["prompt"] = "prompt"
    input: Messages
    response_constraint: Constraint | None = None
    omit_response_constraint_input: bool = False
    sampling: Sampling | None = None


class Append(SessionRequest):
    """Add messages to the history without generating a reply."""

    type: Literal["append"] = "append"
    input: Messages


class Measure(SessionRequest):
    """How much of the context window ``input`` would use; changes nothing."""

    type: Literal["measure"] = "measure"
    input: Messages
    response_constraint: Constraint | None = None
    omit_response_constraint_input: bool = False


class Clone(SessionRequest):
    type: Literal["clone"] = "clone"


class Destroy(SessionRequest):
    type: Literal["destroy"] = "destroy"


class Embed(Envelope):
    type: Literal["embed"] = "embed"
    texts: list[str] = Field(min_length=1, max_length=1024)
    provider: Name | None = Field(default=None, max_length=64)
    model: Name | None = Field(default=None, max_length=256)


class ListModels(Envelope):
    """Models this caller may use (names and capabilities only)."""

    type: Literal["models"] = "models"


PAGE_MESSAGES: tuple[type[Envelope], ...] = (
    Hello,
    Cancel,
    Availability,
    Params,
    CreateSession,
    Prompt,
    Append,
    Measure,
    Clone,
    Destroy,
    Embed,
    ListModels,
)
