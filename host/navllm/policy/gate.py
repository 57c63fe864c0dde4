"""The host's policy gate: every page request passes it before a provider runs.

Order of checks: the origin must be eligible (secure, not opaque); a cross-origin frame must
have been delegated by its top-level origin; an embargo or a denial refuses; a grant (persistent
or "allow once") must cover a provider, else the user is asked; then the quotas are charged.
Extension pages (the user's own settings and chat) skip the prompt. An app (``navllm serve``)
holds its grant in its token: the token's scope must cover a provider, and its quotas are
charged as a site's are; once the token is revoked or expired, the app is refused.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..protocol.common import APP_PREFIX, Caller, Feature
from ..protocol.errors import NavError, not_allowed
from ..protocol.replies import PermissionAsk
from ..providers.base import Provider
from ..settings import Settings
from . import FEATURES, Action, PermissionNeeded, UsageRecord
from .apps import Apps
from .grants import LOCAL, Grants, OnceGrants, covers
from .origins import eligible, normalise
from .quotas import Quotas
from .sites import site
from .usage import DAY, Entry, Usage

RETENTION_CHECK_SECONDS = 3600


def open_gate(settings: Callable[[], Settings]) -> PolicyGate:
    return PolicyGate(settings)


@dataclass
class Store:
    """Grants, quotas and usage sharing one database."""

    db: sqlite3.Connection

    @cached_property
    def grants(self) -> Grants:
        return Grants(self.db)

    @cached_property
    def apps(self) -> Apps:
        return Apps(self.db)

    @cached_property
    def quotas(self) -> Quotas:
        return Quotas(self.db)

    @cached_property
    def usage(self) -> Usage:
        return Usage(self.db)


class PolicyGate:
    def __init__(self, settings: Callable[[], Settings], clock: Callable[[], float] = time.time, path: Path | str | None = None):
        self._settings = settings
        self._clock = clock
        self._path = path
        self._persistent: Store | None = None
        self._incognito: dict[str | None, Store] = {}  # by browser (Caller.browser)
        self._retention_checked = 0.0
        self.once = OnceGrants()

    # -- stores, opened on first use so host start-up touches no database

    @property
    def persistent(self) -> Store:
        if self._persistent is None:
            from .db import connect

            self._persistent = Store(connect(self._path))
        return self._persistent

    def store(self, incognito: bool, browser: str | None = None) -> Store:
        """navllm.db, or ``browser``'s private-window decisions, quotas and usage: a memory
        database, never on disk, one per browser (a daemon serves several)."""
        if not incognito:
            return self.persistent
        if browser not in self._incognito:
            from .db import MEMORY, connect

            self._incognito[browser] = Store(connect(MEMORY))
        return self._incognito[browser]

    def close(self) -> None:
        """Close navllm.db (a repair may move it, and Windows cannot move an open file); the next use reopens it."""
        if self._persistent is not None:
            self._persistent.db.close()
            self._persistent = None

    def end_incognito(self, browser: str | None = None) -> None:
        """``browser``'s last private window closed (or the browser went away): forget everything decided in it."""
        store = self._incognito.pop(browser, None)
        if store is not None:
            store.db.close()
        self.once.forget_incognito(browser)

    def now(self) -> float:
        return self._clock()

    # -- the Gate protocol

    def frame_of(self, caller: Caller, feature: Feature = "language-model") -> tuple[str, str]:
        """(origin, top-level origin) of a page caller, or NotAllowedError without any prompt. A
        frame of another origin than the top-level page's is eligible where its embedders delegate
        ``feature`` to it (``<iframe allow="…">``, as the permissions policy has it) or where the user
        let the top-level site delegate navllm to it; either way the user's grant is still asked for."""
        origin = normalise(caller.origin)
        if origin is None or not eligible(origin):
            raise not_allowed(f"{caller.origin or 'this page'} cannot use navllm: only https: sites and http://localhost may ask")
        top = normalise(caller.top_origin) if caller.top_origin else origin
        if top is None or not eligible(top):
            raise not_allowed(f"a frame inside {caller.top_origin} cannot use navllm: the page it is embedded in is not a secure site")
        if top != origin and feature not in caller.embedder_allows and not self.persistent.grants.delegated(top, origin):
            raise not_allowed(
                f"{origin} is embedded in {top}, which has not let its frames use navllm: neither its"
                f' <iframe allow="{feature}"> nor your navllm settings delegate it to this frame'
            )
        return origin, top

    def app_scope(self, caller: Caller) -> tuple[str, ...]:
        """The providers an app's token lets it use; NotAllowedError once the token is revoked or expired."""
        app = self.persistent.apps.get(caller.origin.removeprefix(APP_PREFIX), self.now())
        if app is None:
            raise not_allowed("this app's token was revoked or has expired; `navllm tokens create` makes a new one")
        return app.providers

    def eligible(self, caller: Caller, feature: Feature = "language-model") -> bool:
        if caller.is_admin or caller.is_app:
            return True
        try:
            self.frame_of(caller, feature)
        except NavError:
            return False
        return True

    def granted(self, caller: Caller, providers: list[Provider]) -> list[Provider]:
        """Those of ``providers`` the caller's grant (or "allow once") covers now: all of them for
        extension pages, none for a page that is ineligible, embargoed, denied or never asked.
        Read-only: no prompt, no quota charged."""
        if caller.is_admin:
            return providers
        try:
            if caller.is_app:
                app_scope = self.app_scope(caller)
                return [p for p in providers if covers(app_scope, p.name, p.remote)]
            origin, top = self.frame_of(caller)
        except NavError:
            return []
        store = self.store(caller.incognito, caller.browser)
        now = self.now()
        if store.grants.embargo(origin, top, now) is not None:
            return []
        grant = store.grants.get(origin, top, now)
        if grant is not None and grant.state == "denied":
            return []
        scope = (
            *(grant.providers if grant else ()),
            *(self.once.get(origin, top, caller.incognito, caller.tab_id, caller.document_id, caller.browser) or ()),
        )
        return [p for p in providers if covers(scope, p.name, p.remote)]

    async def admit(self, caller: Caller, action: Action, candidates: list[Provider]) -> list[Provider]:
        if caller.is_admin:
            return candidates
        if caller.is_app:
            return self._admit_app(caller, candidates)

        origin, top = self.frame_of(caller, FEATURES.get(action, "language-model"))
        store = self.store(caller.incognito, caller.browser)
        now = self.now()
        until = store.grants.embargo(origin, top, now)
        if until is not None:
            raise not_allowed(
                f"{origin} is blocked after its prompt was dismissed repeatedly; lift it in navllm's settings", embargoedUntil=until
            )
        grant = store.grants.get(origin, top, now)
        if grant is not None and grant.state == "denied":
            raise not_allowed(f"you denied {origin} the use of navllm; change it in navllm's settings")
        scope = set(grant.providers if grant else ()) | set(
            self.once.get(origin, top, caller.incognito, caller.tab_id, caller.document_id, caller.browser) or ()
        )
        allowed = [p for p in candidates if covers(tuple(scope), p.name, p.remote)]
        if not allowed:
            raise PermissionNeeded(
                PermissionAsk(
                    origin=origin,
                    site=site(origin),
                    top_origin=top if top != origin else None,
                    top_site=site(top) if top != origin else None,
                    incognito=caller.incognito,
                    providers=[p.name for p in candidates],
                    remote=any(p.remote for p in candidates),
                    remote_providers=[p.name for p in candidates if p.remote],
                )
            )
        store.quotas.admit(origin, now)
        return allowed

    def _admit_app(self, caller: Caller, candidates: list[Provider]) -> list[Provider]:
        app_scope = self.app_scope(caller)
        allowed = [p for p in candidates if covers(app_scope, p.name, p.remote)]
        if not allowed:
            names = ", ".join(p.name for p in candidates)
            raise not_allowed(f"this app's token does not cover {names}; its scope is {', '.join(app_scope)}")
        self.persistent.quotas.admit(caller.origin, self.now())
        return allowed

    def record(self, record: UsageRecord) -> None:
        caller = record.caller
        now = self.now()
        top: str | None
        if caller.is_admin or caller.is_app:
            origin = top = caller.origin
        else:
            origin = normalise(caller.origin) or caller.origin
            top = normalise(caller.top_origin) if caller.top_origin else origin
        settings = self._settings()
        keep_text = settings.history_enabled and not caller.incognito
        self.store(caller.incognito, caller.browser).usage.record(
            Entry(
                ts=now,
                origin=origin,
                top_origin=top or origin,
                action=record.action,
                provider=record.provider,
                model=record.model,
                input_tokens=record.input_tokens,
                output_tokens=record.output_tokens,
                latency_ms=record.latency_ms,
                outcome=record.outcome,
                prompt_text=record.prompt_text if keep_text else None,
                reply_text=record.reply_text if keep_text else None,
            )
        )
        self.enforce_retention(now)

    def enforce_retention(self, now: float, force: bool = False) -> int:
        """Drop history text past the retention period (checked at most hourly)."""
        if not force and now - self._retention_checked < RETENTION_CHECK_SECONDS:
            return 0
        self._retention_checked = now
        return self.persistent.usage.forget_text_before(now - self._settings().history_retention_days * DAY)

    # -- decisions from the prompt window and settings

    def decide(
        self,
        *,
        origin: str,
        top_origin: str,
        incognito: bool,
        tab_id: int | None,
        document_id: str | None,
        browser: str | None = None,
        decision: str,
        providers: list[str],
        expires_at: float | None,
    ) -> dict[str, Any]:
        store = self.store(incognito, browser)
        now = self.now()
        if decision == "dismiss":
            until = store.grants.dismiss(origin, top_origin, now)
            return {"state": "prompt" if until is None else "embargoed", "embargoedUntil": until}
        if decision == "deny":
            self.once.forget(origin, top_origin, incognito)
            store.grants.set(origin, top_origin, "denied", [], expires_at, now)
            return {"state": "denied"}
        if decision == "once":
            self.once.add(origin, top_origin, incognito, tab_id, document_id, providers, browser)
            store.grants.lift(origin, top_origin)
            return {"state": "granted", "once": True}
        existing = store.grants.get(origin, top_origin, now)
        held = existing.providers if existing is not None and existing.state == "granted" else ()
        store.grants.set(origin, top_origin, "granted", [*held, *providers], expires_at, now)
        return {"state": "granted", "once": False}

    def revoke(self, origin: str, top_origin: str | None, incognito: bool, browser: str | None = None) -> int:
        self.once.forget(origin, top_origin, incognito)
        return self.store(incognito, browser).grants.revoke(origin, top_origin)


def consent_scope(names: list[str], providers: list[Provider]) -> list[str]:
    """Name on-device providers by the ``local`` scope; remote ones stay named one by one."""
    remote = {p.name: p.remote for p in providers}
    return sorted({LOCAL if remote.get(name) is False else name for name in names})
