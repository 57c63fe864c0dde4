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

    @property
    def history(self) -> list[Message]:
        return [*self.initial, *(m for turn in self.turns for m in turn)]

    async def measure(self, messages: list[Message], constraint: Constraint | None = None) -> int:
        return await self.conversation.measure(messages, constraint=constraint, tools=self.options.tools)

    async def make_room(self, new: list[Message], constraint: Constraint | None, on_overflow: Callable[[], None]) -> list[Message]:
        """Evict the oldest turns until ``new`` fits; return the messages to feed the model.

        Nothing is evicted when even the initial prompts plus ``new`` cannot fit.
        """
        window = self.conversation.context_window
        needed = await self.measure([*self.initial, *new], constraint)
        if needed > window:
            raise quota_exceeded(
                f"the input needs {needed} of the {window} tokens this session's context window holds",
                requested=needed,
                quota=window,
            )
        # The fewest oldest turns to evict, found by bisection: a page can pile up thousands of
        # small turns, and measuring the whole history once per evicted turn made one append
        # cost time quadratic in them (a local model tokenizes on the host's loop).
        low, high = 0, len(self.turns)  # evicting every turn fits: checked above
        while low < high:
            mid = (low + high) // 2
            if await self.measure([*self.initial, *self._turn_messages(mid), *new], constraint) > window:
                low = mid + 1
            else:
                high = mid
        evicted = low
        if evicted:
            del self.turns[:evicted]
            on_overflow()
        return [*self.history, *new]

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
