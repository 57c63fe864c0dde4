"""Apps the user lets use navllm through ``navllm serve``: one bearer token per app, made by the user.

A token is 256 random bits, shown once when it is made; the database keeps only its SHA-256.
A slow, salted hash (as for passwords) buys nothing here: no one can guess 256 random bits, so
a fast hash of one is as safe to store as the token is to hold. A presented token is hashed and
compared with every stored hash by ``hmac.compare_digest``, so the time an answer takes says
nothing about how close a guess came. The token is the user's grant: the app's requests are made
as the caller ``app:NAME`` and may use the providers its scope covers (``grants.covers``).

Browsers the user paired with the daemon (``navllm pair``) keep their token in the same table,
named ``browser:LABEL``: a name no app can have (``:`` is not in an app's name), so an app's token
never opens the browser socket and a browser's never reaches the OpenAI routes. They are listed
and revoked with the apps' tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..protocol.common import APP_PREFIX
from ..protocol.errors import ErrorName, NavError
from .db import transaction
from .grants import LOCAL

TOKEN_PREFIX = "navllm-"  # tells a leaked token for what it is (secret scanners match on such prefixes)
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
BROWSER_PREFIX = "browser:"
NOT_NAME = re.compile(r"[^a-z0-9._-]+")
DEFAULT_SCOPE = (LOCAL,)  # on-device providers only: an app reaches a remote account only when the user names it


@dataclass(frozen=True)
class App:
    name: str
    providers: tuple[str, ...]
    created_at: float
    expires_at: float | None
    last_used_at: float | None

    @property
    def origin(self) -> str:
        return APP_PREFIX + self.name

    def live(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "providers": list(self.providers),
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
            "lastUsedAt": self.last_used_at,
        }


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class Apps:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def create(self, name: str, providers: list[str], expires_at: float | None, now: float) -> str:
        """Make app ``name``'s token and return it: the only time anyone sees it."""
        if not NAME.match(name):
            raise NavError(
                ErrorName.SYNTAX, f"{name!r} is not an app name: 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
            )
        with transaction(self.db, immediate=True):
            if self._taken(name):
                raise NavError(ErrorName.INVALID_STATE, f"an app named {name!r} already has a token; revoke it first")
            return self._insert(name, sorted(set(providers or DEFAULT_SCOPE)), expires_at, now)

    def pair_browser(self, label: str, now: float) -> tuple[str, str]:
        """Make a paired browser's token: (its name, ``browser:`` and ``label`` made a name, unique; the token)."""
        base = NOT_NAME.sub("-", label.lower()).strip("-._")[:48] or "browser"
        with transaction(self.db, immediate=True):
            name, count = BROWSER_PREFIX + base, 1
            while self._taken(name):
                count += 1
                name = f"{BROWSER_PREFIX}{base}-{count}"
            return name, self._insert(name, [], None, now)

    def _taken(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM app_tokens WHERE name = ?", (name,)).fetchone() is not None

    def _insert(self, name: str, providers: list[str], expires_at: float | None, now: float) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.db.execute(
            "INSERT INTO app_tokens (name, token_sha256, providers, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (name, _digest(token), json.dumps(providers), now, expires_at),
        )
        return token

    def revoke(self, name: str) -> bool:
        with transaction(self.db, immediate=True):
            return self.db.execute("DELETE FROM app_tokens WHERE name = ?", (name,)).rowcount > 0

    def all(self) -> list[App]:
        return [_app(r) for r in self.db.execute("SELECT * FROM app_tokens ORDER BY name")]

    def get(self, name: str, now: float) -> App | None:
        """App ``name`` while its token holds; None once it is revoked or expired."""
        row = self.db.execute("SELECT * FROM app_tokens WHERE name = ?", (name,)).fetchone()
        app = _app(row) if row is not None and not _is_browser(row) else None
        return app if app is not None and app.live(now) else None

    def authenticate(self, token: str, now: float, *, browser: bool = False) -> App | None:
        """The app holding ``token`` while it holds (its use recorded), else None; with
        ``browser``, the paired browser holding it instead."""
        presented = _digest(token)
        found = None
        for row in self.db.execute("SELECT * FROM app_tokens").fetchall():
            if hmac.compare_digest(presented, row["token_sha256"]) and _is_browser(row) == browser:  # every row compared: no early exit
                found = _app(row)
        if found is None or not found.live(now):
            return None
        with transaction(self.db, immediate=True):
            self.db.execute("UPDATE app_tokens SET last_used_at = ? WHERE name = ?", (now, found.name))
        return found


def _is_browser(row: sqlite3.Row) -> bool:
    name: str = row["name"]
    return name.startswith(BROWSER_PREFIX)


def _app(row: sqlite3.Row) -> App:
    return App(row["name"], tuple(json.loads(row["providers"])), row["created_at"], row["expires_at"], row["last_used_at"])
