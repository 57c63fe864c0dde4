"""Decisions users made about origins: persistent grants and denials, dismissals and embargoes,
frame delegations, and the in-memory "allow once" grants that live as long as one document.

A grant is keyed by the requesting origin AND the top-level origin it was embedded in, so a
site allowed on its own is not thereby allowed inside someone else's page.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .db import transaction

DISMISSALS_BEFORE_EMBARGO = 3
EMBARGO_SECONDS = 7 * 24 * 3600
LOCAL = "local"  # scope name covering every provider that keeps data on this device


@dataclass(frozen=True)
class Grant:
    origin: str
    top_origin: str
    state: str  # "granted" | "denied"
    providers: tuple[str, ...]
    expires_at: float | None
    updated_at: float

    def wire(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "topOrigin": self.top_origin,
            "state": self.state,
            "providers": list(self.providers),
            "expiresAt": self.expires_at,
            "updatedAt": self.updated_at,
        }


def covers(scope: tuple[str, ...] | list[str], name: str, remote: bool) -> bool:
    """Whether consent ``scope`` lets a provider run: on-device ones by the ``local`` scope or by
    name, remote ones only when named (data leaves the device: consent must name where)."""
    return name in scope or (not remote and LOCAL in scope)


class Grants:
    """Decisions stored in one database: the user's file, or a private in-memory one for incognito."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def get(self, origin: str, top_origin: str, now: float) -> Grant | None:
        row = self.db.execute("SELECT * FROM grants WHERE origin = ? AND top_origin = ?", (origin, top_origin)).fetchone()
        if row is None:
            return None
        grant = _grant(row)
        return None if grant.expires_at is not None and grant.expires_at <= now else grant

    def set(self, origin: str, top_origin: str, state: str, providers: list[str], expires_at: float | None, now: float) -> Grant:
        """Record a decision; it also clears the dismissal count (the user has answered)."""
        with transaction(self.db, immediate=True):
            self.db.execute(
                "INSERT INTO grants (origin, top_origin, state, providers, expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (origin, top_origin) DO UPDATE SET state = excluded.state, providers = excluded.providers,"
                " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                (origin, top_origin, state, json.dumps(sorted(set(providers))), expires_at, now),
            )
            self.db.execute("DELETE FROM dismissals WHERE origin = ? AND top_origin = ?", (origin, top_origin))
        return Grant(origin, top_origin, state, tuple(sorted(set(providers))), expires_at, now)

    def revoke(self, origin: str, top_origin: str | None = None) -> int:
        """Forget decisions for ``origin`` (in one top-level origin, or everywhere); the next call asks again."""
        with transaction(self.db, immediate=True):
            cur = self.db.execute(*_where("DELETE FROM grants", origin, top_origin))
        return cur.rowcount

    def all(self) -> list[Grant]:
        return [_grant(r) for r in self.db.execute("SELECT * FROM grants ORDER BY origin, top_origin")]

    def dismiss(self, origin: str, top_origin: str, now: float) -> float | None:
        """Count a dismissed prompt; the third in a row embargoes the origin. Returns the embargo end."""
        with transaction(self.db, immediate=True):
            row = self.db.execute("SELECT count FROM dismissals WHERE origin = ? AND top_origin = ?", (origin, top_origin)).fetchone()
            count = (row["count"] if row else 0) + 1
            until = now + EMBARGO_SECONDS if count >= DISMISSALS_BEFORE_EMBARGO else None
            self.db.execute(
                "INSERT INTO dismissals (origin, top_origin, count, embargo_until) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (origin, top_origin) DO UPDATE SET count = excluded.count, embargo_until = excluded.embargo_until",
                (origin, top_origin, 0 if until else count, until),
            )
        return until

    def embargo(self, origin: str, top_origin: str, now: float) -> float | None:
        row = self.db.execute("SELECT embargo_until FROM dismissals WHERE origin = ? AND top_origin = ?", (origin, top_origin)).fetchone()
        until = row["embargo_until"] if row else None
        return until if until is not None and until > now else None

    def embargoes(self, now: float) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT origin, top_origin, embargo_until FROM dismissals WHERE embargo_until > ? ORDER BY origin", (now,))
        return [{"origin": r["origin"], "topOrigin": r["top_origin"], "until": r["embargo_until"]} for r in rows]

    def lift(self, origin: str, top_origin: str | None = None) -> int:
        with transaction(self.db, immediate=True):
            cur = self.db.execute(*_where("DELETE FROM dismissals", origin, top_origin))
        return cur.rowcount

    def delegated(self, top_origin: str, frame_origin: str) -> bool:
        row = self.db.execute("SELECT 1 FROM delegations WHERE top_origin = ? AND frame_origin = ?", (top_origin, frame_origin)).fetchone()
        return row is not None

    def delegate(self, top_origin: str, frame_origin: str, allowed: bool) -> None:
        with transaction(self.db, immediate=True):
            if allowed:
                self.db.execute("INSERT OR IGNORE INTO delegations (top_origin, frame_origin) VALUES (?, ?)", (top_origin, frame_origin))
            else:
                self.db.execute("DELETE FROM delegations WHERE top_origin = ? AND frame_origin = ?", (top_origin, frame_origin))

    def delegations(self) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT top_origin, frame_origin FROM delegations ORDER BY top_origin, frame_origin")
        return [{"topOrigin": r["top_origin"], "frameOrigin": r["frame_origin"]} for r in rows]


def _grant(row: sqlite3.Row) -> Grant:
    return Grant(row["origin"], row["top_origin"], row["state"], tuple(json.loads(row["providers"])), row["expires_at"], row["updated_at"])


def _where(statement: str, origin: str, top_origin: str | None) -> tuple[str, tuple[str, ...]]:
    if top_origin is None:
        return f"{statement} WHERE origin = ?", (origin,)
    return f"{statement} WHERE origin = ? AND top_origin = ?", (origin, top_origin)


@dataclass
class _Once:
    tab_id: int | None
    document_id: str | None
    providers: tuple[str, ...]
    browser: str | None = None  # tab ids are one browser's: a daemon serving several tells them apart


@dataclass
class OnceGrants:
    """ "Allow once": held in memory for one document (its documentId, else its tab, in the
    browser that asked) and dropped when that browser reports that the tab navigated or closed."""

    _held: dict[tuple[str, str, bool], list[_Once]] = field(default_factory=dict)

    def add(
        self,
        origin: str,
        top_origin: str,
        incognito: bool,
        tab_id: int | None,
        document_id: str | None,
        providers: list[str],
        browser: str | None = None,
    ) -> None:
        entries = self._held.setdefault((origin, top_origin, incognito), [])
        entries[:] = [e for e in entries if (e.tab_id, e.document_id, e.browser) != (tab_id, document_id, browser)]
        entries.append(_Once(tab_id, document_id, tuple(sorted(set(providers))), browser))

    def get(
        self, origin: str, top_origin: str, incognito: bool, tab_id: int | None, document_id: str | None, browser: str | None = None
    ) -> tuple[str, ...] | None:
        for entry in self._held.get((origin, top_origin, incognito), ()):
            if entry.tab_id is None or entry.tab_id != tab_id or entry.browser != browser:
                continue  # no tab, no document to tie the grant to: it matches nothing
            if entry.document_id is None or entry.document_id == document_id:
                return entry.providers
        return None

    def forget_tab(self, tab_id: int, browser: str | None = None) -> int:
        dropped = 0
        for key, entries in list(self._held.items()):
            kept = [e for e in entries if (e.tab_id, e.browser) != (tab_id, browser)]
            dropped += len(entries) - len(kept)
            if kept:
                self._held[key] = kept
            else:
                del self._held[key]
        return dropped

    def forget(self, origin: str, top_origin: str | None = None, incognito: bool | None = None) -> None:
        for key in list(self._held):
            if key[0] == origin and top_origin in (None, key[1]) and incognito in (None, key[2]):
                del self._held[key]

    def forget_incognito(self, browser: str | None = None) -> None:
        for key in [k for k in self._held if k[2]]:
            kept = [e for e in self._held[key] if e.browser != browser]
            if kept:
                self._held[key] = kept
            else:
                del self._held[key]

    def all(self) -> list[dict[str, Any]]:
        return [
            {"origin": o, "topOrigin": t, "incognito": i, "tabId": e.tab_id, "documentId": e.document_id, "providers": list(e.providers)}
            for (o, t, i), entries in sorted(self._held.items())
            for e in entries
        ]
