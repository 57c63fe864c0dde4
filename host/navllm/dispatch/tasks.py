"""Handlers for the task APIs: Summarizer, Writer, Rewriter, Proofreader, Translator, LanguageDetector.

They pass the same policy as prompts (the gate admits each create and each run), record every
outcome under the task's own action, and open their model through the provider chain. A task
instance lives in the session table as a Session whose conversation is a ``TaskConversation``,
so ``destroy``, ownership and eviction work on it as on any session; what to ask the model is
the tasks room's business. A Translator for a pair an installed translation model covers is
served by that model (``providers.translation``) unless the page chose a provider; other pairs
go through the provider chain.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace
from typing import Any

from ..policy import Action, Gate, UsageRecord
from ..protocol.common import Availability, Caller, Constraint, Message, ToolSpec
from ..protocol.errors import ErrorName, NavError, quota_exceeded
from ..protocol.page import CoreOptions
from ..protocol.tasks import TaskAvailability, TaskCreate, TaskInput, TaskMeasure, TaskOptions, TaskRun
from ..providers.base import Chunk, Conversation, Generation, Provider, Usage
from ..providers.router import Router
from ..providers.translation import TranslationConversation, TranslationModel, TranslationModels
from ..tasks import detect, languages, prompts, proofread
from .responder import Responder
from .sessions import Session, SessionTable, owner_of

ACTIONS: dict[str, Action] = {
    "summarizer": "summarize",
    "writer": "write",
    "rewriter": "rewrite",
    "proofreader": "proofread",
    "translator": "translate",
    "language-detector": "detect-language",
}
ORDER: list[Availability] = ["unavailable", "downloadable", "downloading", "available"]
DETECT_QUOTA = 4 * 1024 * 1024  # characters: detection reads a bounded prefix, so any valid input fits
# Like Chromium's mocks, these report "downloadable" on echo until created once (the page then asks for user activation).
_DOWNLOADED_ON_CREATE = ("translator", "language-detector")


class TaskConversation(Conversation):
    """A task instance: the provider's conversation (none for language detection) and what the
    task was opened with. Session requests naming it are refused: a task id is not a session."""

    def __init__(self, inner: Conversation | None, options: TaskOptions, provider_kind: str, *, base: int, quota: int, model: str):
        self.inner = inner
        self.options = options
        self.provider_kind = provider_kind
        self.base = base  # what the instructions and shared context use
        self.quota = quota
        self.context_window = quota
        self.model = model

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        raise _not_a_session()

    def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        raise _not_a_session()

    def clone(self) -> Conversation:
        raise _not_a_session()

    async def close(self) -> None:
        if self.inner is not None:
            await self.inner.close()


def _not_a_session() -> NavError:
    return NavError(ErrorName.NOT_FOUND, "that id names a task, not a session")


class TaskHandlers:
    def __init__(self, gate: Gate, router: Router, sessions: SessionTable, translation: TranslationModels | None = None):
        self.gate = gate
        self.router = router
        self.sessions = sessions
        self.translation = translation or TranslationModels()
        self._created: set[tuple[str, ...]] = set()

    def table(self) -> dict[type, Any]:
        return {TaskAvailability: self.availability, TaskCreate: self.create, TaskRun: self.run, TaskMeasure: self.measure}

    def _kinds(self) -> dict[str, str]:
        """Each provider's kind (local, echo, openai, anthropic) by name, from the user's chain."""
        return {config.name: config.kind for config in self.router.configs()}

    async def _dedicated(self, options: TaskOptions) -> TranslationModel | None:
        """The installed translation model that serves this Translator, if any: one covering its
        pair, where the page named no provider (nor another model)."""
        if options.kind != "translator" or options.provider is not None or prompts.identity(options):
            return None
        pair = (languages.primary(options.source_language or ""), languages.primary(options.target_language or ""))
        model = await asyncio.to_thread(self.translation.covering, pair)
        return model if model is not None and options.model in (None, model.installed.name) else None

    async def availability(self, req: TaskAvailability, out: Responder) -> Availability:
        if not self.gate.eligible(req.caller, req.options.kind):
            self.gate.frame_of(
                req.caller, req.options.kind
            )  # raises the NotAllowedError that says why: an insecure page, or an undelegated frame
        options = req.options
        if await self._dedicated(options) is not None:
            return "available"
        if options.kind == "language-detector" and not await asyncio.to_thread(detect.loads):
            return "unavailable"
        kinds = self._kinds()
        best: Availability = "unavailable"
        for provider in self.router.candidates(options):
            kind = kinds.get(provider.name, "")
            if not languages.supported(options, kind):
                continue
            state = "available" if options.kind == "language-detector" else await provider.availability(_core(options))
            if kind == "echo" and state == "available" and options.kind in _DOWNLOADED_ON_CREATE and _key(options) not in self._created:
                state = "downloadable"
            if options.kind == "language-detector":
                return state  # create() takes the first provider that fits: its state is the answer
            best = max(best, state, key=ORDER.index)
        return best

    async def create(self, req: TaskCreate, out: Responder) -> dict[str, Any]:
        started = time.monotonic()
        options = req.options
        dedicated = await self._dedicated(options)
        candidates: list[Provider] = [dedicated] if dedicated else self.router.candidates(options)
        if not candidates:
            raise NavError(ErrorName.NOT_SUPPORTED, "no model is configured; add one in navllm's settings")
        admitted = await self.gate.admit(req.caller, ACTIONS[options.kind], candidates)  # the task's feature, not the Prompt API's
        kinds = {dedicated.name: "translation"} if dedicated else self._kinds()
        fit = admitted if dedicated else [p for p in admitted if languages.supported(options, kinds.get(p.name, ""))]
        if not fit:
            raise NavError(ErrorName.NOT_SUPPORTED, f"no provider this page may use serves a {options.kind} in these languages")
        out.progress(0.0)
        task, provider = await self._open(options, fit, kinds, out)
        out.progress(1.0)
        session = Session(
            id=self.sessions.new_id(),
            owner=owner_of(req.caller),
            provider=provider.name,
            conversation=task,
            options=_core(options),
            initial=[],
        )
        try:
            for evicted in self.sessions.make_room(owner_of(req.caller)):
                await evicted.conversation.close()
        except NavError:
            await task.close()
            raise
        self.sessions.add(session)
        self._created.add(_key(options))
        self._record(req.caller, "create", session, task, None, started, "ok", "", "")
        return {"task": session.id, "provider": provider.name, "model": task.model, "inputQuota": task.quota}

    async def _open(
        self, options: TaskOptions, fit: list[Provider], kinds: dict[str, str], out: Responder
    ) -> tuple[TaskConversation, Provider]:
        """The task's conversation on the first provider that serves it, its quota measured."""
        if options.kind == "language-detector":
            if not await asyncio.to_thread(detect.loads):
                raise NavError(ErrorName.NOT_SUPPORTED, "the language detection library failed to load; see the host's log")
            return TaskConversation(None, options, kinds.get(fit[0].name, ""), base=0, quota=DETECT_QUOTA, model=detect.MODEL), fit[0]
        inner: Conversation
        provider: Provider
        if isinstance(fit[0], TranslationModel):
            inner, provider = await fit[0].open(_core(options), out.progress), fit[0]
        else:
            inner, provider = await self.router.open(fit, _core(options), out.progress)
        kind = kinds.get(provider.name, "")
        empty = prompts.base(options, kind)
        base = await inner.measure(empty.messages)
        room = inner.context_window - prompts.output_reserve(kind, inner.context_window)
        if base >= room:
            await inner.close()
            raise quota_exceeded(
                f"the instructions and shared context need {base} of the {room} tokens this model has for them", requested=base, quota=room
            )
        return TaskConversation(inner, options, kind, base=base, quota=room - base, model=inner.model), provider

    def _task(self, req: TaskInput) -> tuple[Session, TaskConversation]:
        session = self.sessions.get(req.caller, req.task)
        if not isinstance(session.conversation, TaskConversation):
            raise NavError(ErrorName.NOT_FOUND, "that id names a session, not a task")
        return session, session.conversation

    async def measure(self, req: TaskMeasure, out: Responder) -> int:
        _, task = self._task(req)
        return await _usage(task, req.input, req.context)

    async def run(self, req: TaskRun, out: Responder) -> Any:
        session, task = self._task(req)
        action = ACTIONS[task.options.kind]
        async with session.lock:
            providers: list[Provider] = (
                [task.inner.provider] if isinstance(task.inner, TranslationConversation) else self.router.by_name([session.provider])
            )
            await self.gate.admit(req.caller, action, providers)
            used = await _usage(task, req.input, req.context)
            if used > task.quota:
                raise quota_exceeded(
                    f"the input is {used} tokens long, more than the {task.quota} this {task.options.kind} can take (its inputQuota): shorten it",
                    requested=used,
                    quota=task.quota,
                )
            started = time.monotonic()
            reply: list[str] = []
            usage: list[Usage] = []
            outcome = "AbortError"
            try:
                result = await _answer(task, req, out, reply, usage)
                outcome = "ok"
                return result
            except NavError as err:
                outcome = str(err.name)
                raise
            finally:
                self._record(req.caller, action, session, task, usage[-1] if usage else None, started, outcome, req.input, "".join(reply))

    def _record(
        self,
        caller: Caller,
        action: Action,
        session: Session,
        task: TaskConversation,
        usage: Usage | None,
        started: float,
        outcome: str,
        prompt: str,
        reply: str,
    ) -> None:
        self.gate.record(
            UsageRecord(
                caller=caller,
                action=action,
                provider=getattr(task.inner, "served_by", session.provider),  # a fallback may have stood in
                model=task.inner.model if task.inner is not None else task.model,
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                latency_ms=(time.monotonic() - started) * 1000,
                outcome=outcome,
                prompt_text=prompt,
                reply_text=reply,
            )
        )


async def _usage(task: TaskConversation, text: str, context: str | None) -> int:
    """What ``text`` and ``context`` use of the task's quota: tokens as the model is fed them,
    beyond the instructions (characters for language detection, UTF-8 bytes on echo)."""
    if task.inner is None:
        return len(text) + len(context or "")
    measured = await task.inner.measure(prompts.generation(task.options, task.provider_kind, text, context).messages)
    return max(0, measured - task.base)


async def _answer(task: TaskConversation, req: TaskRun, out: Responder, reply: list[str], usage: list[Usage]) -> Any:
    """Run the task on the request's input: text deltas stream to ``out`` (and collect in
    ``reply``); the result is returned."""
    options, text = task.options, req.input
    if options.kind == "language-detector":
        return await asyncio.to_thread(detect.detect, text)
    streams = options.kind != "proofreader"
    generation = replace(prompts.generation(options, task.provider_kind, text, req.context), requester=req.caller.origin)
    if _blank(text):
        # Nothing to work on: a translator (and the proofreader) give such text back, as browsers do.
        answer = text if options.kind in ("translator", "proofreader") else ""
    elif task.provider_kind == "echo":
        assert task.inner is not None
        await _generate(task.inner, generation, None, [], usage)  # the echo backend's delay and usage; its words are the mock's below
        answer = prompts.echo_reply(options, text)
    elif prompts.identity(options):
        answer = text
    else:
        assert task.inner is not None  # only language detection runs without a model
        answer = await _generate(task.inner, generation, out if streams else None, reply, usage)
        if options.kind == "proofreader":
            answer = proofread.accept(text, prompts.corrected_text(answer))
        streams = False  # streamed as it came
    if not reply:
        reply.append(answer)
    if streams and answer:
        out.delta(answer)
    if options.kind == "proofreader":
        types, explain = bool(options.include_correction_types), bool(options.include_correction_explanations)
        return {"correctedInput": answer, "corrections": proofread.corrections(text, answer, types=types, explanations=explain)}
    return {}


def _blank(text: str) -> bool:
    """Only whitespace and control characters: nothing a model could work on."""
    return all(c.isspace() or not c.isprintable() for c in text)


async def _generate(conversation: Conversation, generation: Generation, out: Responder | None, reply: list[str], usage: list[Usage]) -> str:
    """The model's whole reply, its deltas streamed to ``out`` if given."""
    async for chunk in conversation.generate(generation):
        if isinstance(chunk, str):
            reply.append(chunk)
            if out is not None:
                out.delta(chunk)
        elif isinstance(chunk, Usage):
            usage.append(chunk)
    return "".join(reply)


def _core(options: TaskOptions) -> CoreOptions:
    """What a provider is asked to serve: the page's choice of provider and model, text in and out."""
    return CoreOptions(provider=options.provider, model=options.model)


def _key(options: TaskOptions) -> tuple[str, ...]:
    """What a create "downloads": a translator's language pair, the language detector's model."""
    if options.kind == "translator":
        return (options.kind, languages.primary(options.source_language or ""), languages.primary(options.target_language or ""))
    return (options.kind,)
