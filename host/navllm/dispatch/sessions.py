"""Sessions: model-agnostic history, context accounting and overflow eviction.

A session belongs to the origin (and browsing mode) that created it; any other caller
naming its id is told it does not exist. History is kept as the never-evicted initial
prompts plus turns (input messages and, after a prompt, the reply), and the oldest turns
are evicted first when a new input would not fit the context window.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..protocol.common import Caller, Constraint, Message
from ..protocol.errors import ErrorName, NavError, quota_exceeded
from ..protocol.page import CoreOptions
from ..providers.base import Conversation

Owner = tuple[str, bool]


def owner_of(caller: Caller) -> Owner:
    return (caller.origin, caller.incognito)


@dataclass
class Session:
    id: str
    owner: Owner
    provider: str
    conversation: Conversation
    options: CoreOptions
    initial: list[Message]
    turns: list[list[Message]] = field(default_factory=list)
    usage: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # What measuring costs is a render and tokenisation of everything measured (on a remote model,
    # a request), so each prompt measures as little as it can. ``base`` is the initial prompts'
    # count, and ``costs[i]`` what turn i added to the history's count when it was kept. A chat
    # template may render a message differently beside other neighbours, so these are estimates:
    # they only choose where to evict, and what is fed and reported is always measured whole.
    base: int = 0
    costs: list[int] = field(default_factory=list)

    @property
    def history(self) -> list[Message]:
        return [*self.initial, *(m for turn in self.turns for m in turn)]

    async def measure(self, messages: list[Message], constraint: Constraint | None = None) -> int:
        return await self.conversation.measure(messages, constraint=constraint, tools=self.options.tools)

    async def start(self) -> int:
        """Measure the initial prompts; return what they take of the context window.

        That count is the session's first contextUsage, except with no initial prompts: then
        nothing has been given yet and contextUsage is 0, though rendering an empty history may
        cost a model a few tokens (a template's opening tokens, the tools' declarations). Those
        stay in ``base``, so each turn's cost is what the turn itself adds, and they count in
        the window: the returned count is what create() checks against it.
        """
        self.base = await self.measure(self.initial)
        self.usage = self.base if self.initial else 0
        return self.base

    def refuse_misplaced_system(self, messages: list[Message]) -> None:
        """A system message may open a session's history, never follow anything: TypeError when
        ``messages`` starts with one and the history already holds something. (A system message
        after the first one of ``messages`` is refused when the request is read.)"""
        if messages and messages[0].role == "system" and (self.initial or self.turns):
            raise NavError(ErrorName.TYPE, "a system message can only come first in a session, before any other input")

    def keep(self, turn: list[Message], usage: int) -> None:
        """Add ``turn`` to the history, which with it measures ``usage`` tokens."""
        costs = self._costs() or [0] * len(self.turns)
        self.costs = [*costs, max(0, usage - self.base - sum(costs))]
        self.turns.append(turn)
        self.usage = usage

    async def make_room(self, new: list[Message], constraint: Constraint | None, on_overflow: Callable[[], None]) -> list[Message]:
        """Evict the oldest turns until ``new`` fits; return the messages to feed the model."""
        return (await self.fit(new, constraint, on_overflow))[0]

    async def fit(self, new: list[Message], constraint: Constraint | None, on_overflow: Callable[[], None]) -> tuple[list[Message], int]:
        """Evict the fewest oldest turns that lets ``new`` fit; return the messages to feed the model
        and their exact token count.

        Nothing is evicted when even the initial prompts plus ``new`` cannot fit. The history is
        measured whole once when nothing is evicted and twice when the turns' costs point at the
        right number to evict (that many fit, one fewer does not); when they are off, the fewest is
        found by bisection, as a page can pile up thousands of small turns.
        """
        window = self.conversation.context_window
        needed = await self.measure([*self.initial, *new], constraint)
        if needed > window:
            raise quota_exceeded(
                f"the input needs {needed} of the {window} tokens this session's context window holds",
                requested=needed,
                quota=window,
            )
        counted = {len(self.turns): needed}  # exact counts, by the number of oldest turns evicted

        async def fits(evicted: int) -> bool:
            if evicted not in counted:
                counted[evicted] = await self.measure([*self.initial, *self._turn_messages(evicted), *new], constraint)
            return counted[evicted] <= window

        low, high = 0, len(self.turns)  # the fewest to evict is in [low, high]; evicting high fits
        guess = self._guess(needed, window)
        if guess is not None:
            if await fits(guess):
                high = guess
                if guess > 0 and not await fits(guess - 1):
                    low = guess
            else:
                low = guess + 1
                if low < high and await fits(low):
                    high = low
        while low < high:
            mid = (low + high) // 2
            if await fits(mid):
                high = mid
            else:
                low = mid + 1
        evicted = low
        if evicted:
            costs = self._costs()
            del self.turns[:evicted]
            self.costs = costs[evicted:] if costs is not None else []
            on_overflow()
        return [*self.history, *new], counted[evicted]

    def _costs(self) -> list[int] | None:
        """The turns' costs, or None when turns were set without them."""
        return self.costs if len(self.costs) == len(self.turns) else None

    def _guess(self, needed: int, window: int) -> int | None:
        """The fewest oldest turns to evict by the turns' costs: ``needed`` plus the kept turns' costs fits."""
        costs = self._costs()
        if costs is None:
            return None
        total = needed + sum(costs)
        for evicted, cost in enumerate(costs):
            if total <= window:
                return evicted
            total -= cost
        return len(costs)

    def _turn_messages(self, skip: int) -> list[Message]:
        return [m for turn in self.turns[skip:] for m in turn]

    def clone(self, new_id: str) -> Session:
        return Session(
            id=new_id,
            owner=self.owner,
            provider=self.provider,
            conversation=self.conversation.clone(),
            options=self.options,
            initial=list(self.initial),
            turns=[list(t) for t in self.turns],
            usage=self.usage,
            base=self.base,
            costs=list(self.costs),
        )


MAX_PER_OWNER = 64  # live sessions per origin and browsing mode
MAX_DESTROYED = 4096  # destroyed ids remembered, to answer InvalidStateError rather than NotFoundError


class SessionTable:
    """Live sessions, least recently used first.

    Sessions outlive their pages (a page that navigates away never destroys them) and a local
    clone copies the KV cache, so each owner holds at most MAX_PER_OWNER: making room evicts
    that owner's least recently used idle sessions, which then count as destroyed.
    """

    def __init__(self, per_owner: int = MAX_PER_OWNER) -> None:
        self._live: dict[str, Session] = {}
        self._destroyed: dict[str, Owner] = {}
        self._per_owner = per_owner

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(12)

    def make_room(self, owner: Owner) -> list[Session]:
        """Evict ``owner``'s least recently used idle sessions so one more fits; return them to be closed.

        Raises QuotaExceededError when every one of them is busy.
        """
        mine = [s for s in self._live.values() if s.owner == owner]
        excess = len(mine) - self._per_owner + 1
        if excess <= 0:
            return []
        idle = [s for s in mine if not s.lock.locked()][:excess]
        if len(idle) < excess:
            raise quota_exceeded(
                f"this site has {len(mine)} sessions open and all are busy; destroy some", requested=len(mine) + 1, quota=self._per_owner
            )
        for session in idle:
            self._forget(session)
        return idle

    def add(self, session: Session) -> Session:
        self._live[session.id] = session
        return session

    def get(self, caller: Caller, session_id: str) -> Session:
        session = self._live.get(session_id)
        if session is not None and session.owner == owner_of(caller):
            self._live[session_id] = self._live.pop(session_id)  # most recently used last
            return session
        if self._destroyed.get(session_id) == owner_of(caller):
            raise NavError(ErrorName.INVALID_STATE, "the session has been destroyed")
        raise NavError(ErrorName.NOT_FOUND, "no such session")

    def remove(self, caller: Caller, session_id: str) -> Session:
        session = self.get(caller, session_id)
        self._forget(session)
        return session

    def _forget(self, session: Session) -> None:
        del self._live[session.id]
        self._destroyed[session.id] = session.owner
        while len(self._destroyed) > MAX_DESTROYED:
            del self._destroyed[next(iter(self._destroyed))]

    def __len__(self) -> int:
        return len(self._live)

    def memory(self) -> dict[str, Any]:
        """What live sessions hold on this machine, in bytes: in all, and per origin, most first."""
        by_origin: dict[str, int] = {}
        for session in self._live.values():
            by_origin[session.owner[0]] = by_origin.get(session.owner[0], 0) + session.conversation.memory_bytes
        ranked = sorted(((o, b) for o, b in by_origin.items() if b), key=lambda item: -item[1])
        return {"bytes": sum(by_origin.values()), "origins": [{"origin": o, "bytes": b} for o, b in ranked]}
