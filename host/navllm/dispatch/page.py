"""Handlers for page requests: the Prompt API sessions, embeddings and model listing.

Every request passes policy (the gate) before a provider runs, and its outcome is recorded.
"""

from __future__ import annotations

import time
from typing import Any

from .. import PROTOCOL_VERSION, __version__
from ..policy import Action, Gate, UsageRecord
from ..protocol.common import Caller, Constraint, Message, TextPart, ToolCallPart
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import (
    Append,
    Availability,
    Clone,
    CoreOptions,
    CreateSession,
    Destroy,
    Embed,
    Hello,
    ListModels,
    Measure,
    ModelChoice,
    Params,
    Prompt,
)
from ..providers.base import DEFAULT_LIMITS, Generation, Provider, Usage
from ..providers.router import Router
from .responder import Responder
from .sessions import Session, SessionTable, owner_of


class PageHandlers:
    def __init__(self, gate: Gate, router: Router, sessions: SessionTable):
        self.gate = gate
        self.router = router
        self.sessions = sessions

    def table(self) -> dict[type, Any]:
        return {
            Hello: self.hello,
            Availability: self.availability,
            Params: self.params,
            CreateSession: self.create,
            Prompt: self.prompt,
            Append: self.append,
            Measure: self.measure,
            Clone: self.clone,
            Destroy: self.destroy,
            Embed: self.embed,
            ListModels: self.models,
        }

    async def hello(self, req: Hello, out: Responder) -> dict[str, Any]:
        if req.protocol != PROTOCOL_VERSION:
            raise NavError(
                ErrorName.NOT_SUPPORTED, f"the extension speaks protocol {req.protocol}, this host speaks {PROTOCOL_VERSION}; update both"
            )
        return {"host": __version__, "protocol": PROTOCOL_VERSION, "capabilities": self.router.capabilities()}

    async def availability(self, req: Availability, out: Responder) -> str:
        if not self.gate.eligible(req.caller):
            # Pages report "unavailable"; create() then fails with the NotAllowedError that says why
            # (an insecure page, or a frame its top-level site has not delegated to), not NotSupportedError.
            self.gate.frame_of(req.caller)
        candidates = self.router.candidates(req.options)
        best = "unavailable"
        order = ["unavailable", "downloadable", "downloading", "available"]
        for provider in candidates:
            state = await provider.availability(req.options)
            best = max(best, state, key=order.index)
        return best

    async def params(self, req: Params, out: Responder) -> dict[str, Any] | None:
        """The limits of the provider a session would open on; a page not yet allowed any provider
        gets the generic defaults, which say nothing about the user's setup."""
        candidates = self.router.candidates(req.options)
        if not candidates:
            return None
        granted = self.gate.granted(req.caller, candidates)
        return (granted[0].sampling_limits() if granted else DEFAULT_LIMITS).wire()

    async def _admitted(
        self, caller: Caller, action: Action, options: ModelChoice | None, serving: CoreOptions | None = None
    ) -> list[Provider]:
        """The providers the caller may use now; with ``serving``, only those that can serve those options
        (expected image input, say), so a permission prompt asks for a provider that can."""
        candidates = self.router.candidates(options)
        if not candidates:
            raise NavError(ErrorName.NOT_SUPPORTED, "no model is configured; add one in navllm's settings")
        if serving is not None:
            candidates = [p for p in candidates if await p.availability(serving) != "unavailable"]
            if not candidates:
                raise NavError(
                    ErrorName.NOT_SUPPORTED,
                    "none of the providers in navllm's settings can serve these options (the expected inputs, outputs "
                    "or languages, or a missing API key); add or enable one that can",
                )
        return await self.gate.admit(caller, action, candidates)

    async def create(self, req: CreateSession, out: Responder) -> dict[str, Any]:
        started = time.monotonic()
        providers = await self._admitted(req.caller, "create", req.options, serving=req.options)
        out.progress(0.0)
        conversation, provider = await self.router.open(providers, req.options, out.progress)
        out.progress(1.0)
        session = Session(
            id=self.sessions.new_id(),
            owner=owner_of(req.caller),
            provider=provider.name,
            conversation=conversation,
            options=req.options,
            initial=list(req.initial_prompts),
        )
        needed = await session.start()
        if needed > conversation.context_window:
            await conversation.close()
            raise NavError(
                ErrorName.QUOTA_EXCEEDED,
                f"the initial prompts need {needed} of the {conversation.context_window} tokens of the context window",
                requested=needed,
                quota=conversation.context_window,
            )
        await self._make_room(req.caller)
        self.sessions.add(session)
        self._record(req.caller, "create", session, None, started, "ok", [], "")
        return self._info(session)

    @staticmethod
    def _info(session: Session) -> dict[str, Any]:
        return {
            "session": session.id,
            "provider": session.provider,
            "model": session.conversation.model,
            "contextUsage": session.usage,
            "contextWindow": session.conversation.context_window,
        }

    async def prompt(self, req: Prompt, out: Responder) -> dict[str, Any]:
        session = self.sessions.get(req.caller, req.session)
        if req.response_constraint is not None:
            _check_constraint(req.response_constraint)
        async with session.lock:
            session.refuse_misplaced_system(req.input)
            await self.gate.admit(req.caller, "prompt", self.router.by_name([session.provider]))
            messages, _ = await session.fit(req.input, req.response_constraint, lambda: out.event("contextoverflow"))
            generation = Generation(
                messages=messages,
                sampling=req.sampling or session.options.sampling,
                constraint=req.response_constraint,
                omit_constraint_input=req.omit_response_constraint_input,
                tools=session.options.tools,
                requester=req.caller.origin,
            )
            started = time.monotonic()
            text: list[str] = []
            calls: list[ToolCallPart] = []
            usage: Usage | None = None
            outcome = "AbortError"
            try:
                async for chunk in session.conversation.generate(generation):
                    if isinstance(chunk, str):
                        text.append(chunk)
                        out.delta(chunk)
                    elif isinstance(chunk, ToolCallPart):
                        calls.append(chunk)
                        out.tool_call(chunk)
                    else:
                        usage = chunk
                outcome = "ok"
            except NavError as err:
                outcome = str(err.name)
                raise
            finally:
                reply = "".join(text)
                self._record(req.caller, "prompt", session, usage, started, outcome, req.input, reply)
            prefix = _trailing_prefix(req.input)
            # Apart, prefix and reply each fit the protocol's text limit even when their sum would not.
            texts = [prefix, reply] if prefix and reply else [prefix + reply]
            answer = Message(role="assistant", content=[*(TextPart(value=t) for t in texts), *calls])
            turn = [*(m for m in req.input if not m.prefix), answer]
            session.keep(turn, await session.measure([*session.history, *turn]))
            done: dict[str, Any] = {
                "contextUsage": session.usage,
                "contextWindow": session.conversation.context_window,
                "provider": _served_by(session),
            }
            if usage is not None:
                done["usage"] = {"inputTokens": usage.input_tokens, "outputTokens": usage.output_tokens}
            return done

    def _record(
        self,
        caller: Caller,
        action: Action,
        session: Session,
        usage: Usage | None,
        started: float,
        outcome: str,
        inputs: list[Message],
        reply: str,
    ) -> None:
        self.gate.record(
            UsageRecord(
                caller=caller,
                action=action,
                provider=_served_by(session),
                model=session.conversation.model,
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                latency_ms=(time.monotonic() - started) * 1000,
                outcome=outcome,
                prompt_text="\n".join(m.text for m in inputs),
                reply_text=reply,
            )
        )

    async def append(self, req: Append, out: Responder) -> dict[str, Any]:
        session = self.sessions.get(req.caller, req.session)
        async with session.lock:
            session.refuse_misplaced_system(req.input)
            await self.gate.admit(req.caller, "append", self.router.by_name([session.provider]))
            # Measured as it is kept: the history with the input is what fit() counted.
            _, usage = await session.fit(req.input, None, lambda: out.event("contextoverflow"))
            session.keep(list(req.input), usage)
            return {"contextUsage": session.usage, "contextWindow": session.conversation.context_window}

    async def measure(self, req: Measure, out: Responder) -> int:
        session = self.sessions.get(req.caller, req.session)
        constraint = None if req.omit_response_constraint_input else req.response_constraint
        return await session.measure(list(req.input), constraint)

    async def clone(self, req: Clone, out: Responder) -> dict[str, Any]:
        session = self.sessions.get(req.caller, req.session)
        async with session.lock:
            await self._make_room(req.caller)
            copy = self.sessions.add(session.clone(self.sessions.new_id()))
        return self._info(copy)

    async def _make_room(self, caller: Caller) -> None:
        for evicted in self.sessions.make_room(owner_of(caller)):
            await evicted.conversation.close()

    async def destroy(self, req: Destroy, out: Responder) -> None:
        session = self.sessions.remove(req.caller, req.session)
        await session.conversation.close()

    async def embed(self, req: Embed, out: Responder) -> list[list[float]]:
        started = time.monotonic()
        providers = await self._admitted(req.caller, "embed", ModelChoice(provider=req.provider))
        vectors = await providers[0].embed(req.texts, req.model)
        self.gate.record(
            UsageRecord(
                caller=req.caller,
                action="embed",
                provider=providers[0].name,
                model=req.model or "",
                input_tokens=0,
                output_tokens=0,
                latency_ms=(time.monotonic() - started) * 1000,
                outcome="ok",
            )
        )
        return vectors

    async def models(self, req: ListModels, out: Responder) -> list[dict[str, Any]]:
        """Models of the providers this caller was allowed: a page never granted any gets nothing,
        and no remote endpoint is asked for its list on its behalf."""
        return await self.router.models(self.gate.granted(req.caller, self.router.chain()))


def _check_constraint(constraint: Constraint) -> None:
    """The same refusals on every provider: what navllm cannot honour fails before any model runs
    (imported here, not at start-up: the grammar compiler loads with the first constraint)."""
    from ..providers.local.constrain import check_constraint

    check_constraint(constraint)


def _served_by(session: Session) -> str:
    """The provider that answered last: a fallback may have stood in for the session's own."""
    return getattr(session.conversation, "served_by", session.provider)


def _trailing_prefix(messages: list[Message]) -> str:
    return messages[-1].text if messages and messages[-1].role == "assistant" and messages[-1].prefix else ""
