"""Requests of the task APIs (Summarizer, Writer, Rewriter, Proofreader, Translator, LanguageDetector).

One options model serves every kind; which fields a kind takes, and which values, is checked
here, so a field of another kind (or a value of another kind's enum) is a TypeError.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from .common import Text
from .page import Envelope, ModelChoice, SessionId

TaskKind = Literal["summarizer", "writer", "rewriter", "proofreader", "translator", "language-detector"]
# A BCP-47 tag, as the page canonicalised it.
Tag = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*$")]

# Per kind, the enum options it takes and their values, the default first.
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "summarizer": {
        "type": ("key-points", "tldr", "teaser", "headline"),
        "format": ("markdown", "plain-text"),
        "length": ("short", "medium", "long"),
        # A hint (a faster model or a more capable one); every provider serves all three alike.
        "preference": ("auto", "speed", "capability"),
    },
    "writer": {
        "tone": ("neutral", "formal", "casual"),
        "format": ("markdown", "plain-text"),
        "length": ("short", "medium", "long"),
    },
    "rewriter": {
        "tone": ("as-is", "more-formal", "more-casual"),
        "format": ("as-is", "markdown", "plain-text"),
        "length": ("as-is", "shorter", "longer"),
    },
}
_WRITING = {"shared_context", "expected_input_languages", "expected_context_languages", "output_language"}
# Per kind, the other option fields it takes.
FIELDS: dict[str, set[str]] = {
    "summarizer": _WRITING,
    "writer": _WRITING,
    "rewriter": _WRITING,
    "proofreader": {
        "expected_input_languages",
        "include_correction_types",
        "include_correction_explanations",
        "correction_explanation_language",
    },
    "translator": {"source_language", "target_language"},
    "language-detector": {"expected_input_languages"},
}
_ALWAYS = {"kind", "provider", "model"}


class TaskOptions(ModelChoice):
    kind: TaskKind
    type: str | None = Field(default=None, max_length=32)
    format: str | None = Field(default=None, max_length=32)
    length: str | None = Field(default=None, max_length=32)
    tone: str | None = Field(default=None, max_length=32)
    preference: str | None = Field(default=None, max_length=32)
    shared_context: Text | None = None
    expected_input_languages: list[Tag] | None = Field(default=None, max_length=64)
    expected_context_languages: list[Tag] | None = Field(default=None, max_length=64)
    output_language: Tag | None = None
    source_language: Tag | None = None
    target_language: Tag | None = None
    include_correction_types: bool | None = None
    include_correction_explanations: bool | None = None
    correction_explanation_language: Tag | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> TaskOptions:
        choices = CHOICES.get(self.kind, {})
        allowed = _ALWAYS | FIELDS[self.kind] | set(choices)
        stray = sorted(name for name in self.model_fields_set if name not in allowed and getattr(self, name) is not None)
        if stray:
            raise ValueError(f"a {self.kind} takes no {', '.join(to_camel(name) for name in stray)}")
        for name, values in choices.items():
            value = getattr(self, name)
            if value is not None and value not in values:
                raise ValueError(f"{name} of a {self.kind} is one of {', '.join(values)}, not {value!r}")
        if self.kind == "translator" and not (self.source_language and self.target_language):
            raise ValueError("a translator needs sourceLanguage and targetLanguage")
        return self

    def choice(self, name: str) -> str:
        """The value of enum option ``name``, or its default for this kind."""
        value: str | None = getattr(self, name)
        return value if value is not None else CHOICES[self.kind][name][0]

    def languages(self) -> list[Tag]:
        """Every language this task reads or writes, as given."""
        return [
            *(self.expected_input_languages or ()),
            *(self.expected_context_languages or ()),
            *(t for t in (self.output_language, self.source_language, self.target_language, self.correction_explanation_language) if t),
        ]


class TaskAvailability(Envelope):
    """``unavailable`` / ``downloadable`` / ``downloading`` / ``available`` for these options."""

    type: Literal["task-availability"] = "task-availability"
    options: TaskOptions


class TaskCreate(Envelope):
    """Open a task instance: progress 0..1, then ``{task, provider, model, inputQuota}``."""

    type: Literal["task-create"] = "task-create"
    options: TaskOptions


class TaskInput(Envelope):
    task: SessionId = Field(min_length=1, max_length=64)
    input: Text
    context: Text | None = None


class TaskRun(TaskInput):
    """Run the task on ``input``: text deltas then ``done`` (with the result for proofreader and language-detector)."""

    type: Literal["task-run"] = "task-run"


class TaskMeasure(TaskInput):
    """How much of ``inputQuota`` ``input`` (and ``context``) would use."""

    type: Literal["task-measure"] = "task-measure"


TASK_MESSAGES: tuple[type[Envelope], ...] = (TaskAvailability, TaskCreate, TaskRun, TaskMeasure)
