"""Quotas: a token bucket of requests per minute per origin, and daily token budgets per origin
and overall. Bucket levels and day totals live in the database, so a new host process starts
where the last one left off (restarting the host is no way around a limit).

Days are UTC days. A budget is checked before a request and charged after it, so the request
that crosses a budget completes and the next one is refused until the day ends.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from ..protocol.errors import quota_exceeded
from .db import transaction

DEFAULT = "default"  # scope of the limits every origin gets unless it has its own
OVERALL = "overall"  # scope of the budget shared by all origins together


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int | None
    daily_tokens: int | None

    def wire(self) -> dict[str, int | None]:
        return {"requestsPerMinute": self.requests_per_minute, "dailyTokens": self.daily_tokens}


# The bucket is generous: a page may rightly make bursts of small calls (a language check per
# keystroke, a test suite of hundreds of sessions), and on-device work is bounded anyway by the
# requests in flight per origin and the engine's turns between origins; 10 a second sustained
# still stops a runaway loop. What a page can spend on a remote account is capped by the daily
# token budget.
BUILT_IN = {DEFAULT: Limits(requests_per_minute=600, daily_tokens=1_000_000), OVERALL: Limits(None, 5_000_000)}


def utc_day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def seconds_to_next_day(ts: float) -> float:
    return 86400 - ts % 86400


class Quotas:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def limits(self, scope: str) -> Limits:
        """The limits in force for an origin (its own, else the default) or for OVERALL."""
        row = self.db.execute("SELECT * FROM quota_limits WHERE scope = ?", (scope,)).fetchone()
        if row is None and scope not in BUILT_IN:
            row = self.db.execute("SELECT * FROM quota_limits WHERE scope = ?", (DEFAULT,)).fetchone()
            scope = DEFAULT
        if row is None:
            return BUILT_IN[scope]
        return Limits(row["requests_per_minute"], row["daily_tokens"])

    def set_limits(self, scope: str, limits: Limits) -> None:
        with transaction(self.db, immediate=True):
            self.db.execute(
                "INSERT INTO quota_limits (scope, requests_per_minute, daily_tokens) VALUES (?, ?, ?)"
                " ON CONFLICT (scope) DO UPDATE SET requests_per_minute = excluded.requests_per_minute,"
                " daily_tokens = excluded.daily_tokens",
                (scope, limits.requests_per_minute, limits.daily_tokens),
            )

    def reset_limits(self, scope: str) -> None:
        """Back to the default (for an origin) or the built-in limits (for DEFAULT and OVERALL)."""
        with transaction(self.db, immediate=True):
            self.db.execute("DELETE FROM quota_limits WHERE scope = ?", (scope,))

    def custom(self) -> dict[str, Limits]:
        return {
            r["scope"]: Limits(r["requests_per_minute"], r["daily_tokens"])
            for r in self.db.execute("SELECT * FROM quota_limits ORDER BY scope")
        }

    def admit(self, origin: str, now: float) -> None:
        """Take one request from ``origin``'s bucket, or raise QuotaExceededError saying when to retry."""
        limits = self.limits(origin)
        day = utc_day(now)
        for scope, budget in ((origin, limits.daily_tokens), (OVERALL, self.limits(OVERALL).daily_tokens)):
            if budget is not None and self.used(day, scope) >= budget:
                whose = "this site's" if scope == origin else "the overall"
                raise quota_exceeded(
                    f"{whose} daily budget of {budget} tokens is used up; it renews at 00:00 UTC",
                    quota=budget,
                    retryAfter=round(seconds_to_next_day(now), 1),
                )
        rate = limits.requests_per_minute
        if rate is None:
            return
        with transaction(self.db, immediate=True):
            row = self.db.execute("SELECT tokens, updated FROM buckets WHERE origin = ?", (origin,)).fetchone()
            tokens = float(rate) if row is None else min(float(rate), row["tokens"] + max(0.0, now - row["updated"]) * rate / 60)
            if tokens < 1:
                raise quota_exceeded(
                    f"too many requests: this site may make {rate} a minute",
                    quota=rate,
                    retryAfter=round((1 - tokens) * 60 / rate, 3),
                )
            self.db.execute(
                "INSERT INTO buckets (origin, tokens, updated) VALUES (?, ?, ?)"
                " ON CONFLICT (origin) DO UPDATE SET tokens = excluded.tokens, updated = excluded.updated",
                (origin, tokens - 1, now),
            )

    def charge(self, origin: str, tokens: int, now: float) -> None:
        """Add spent tokens to the origin's and the overall day totals (one transaction)."""
        if tokens <= 0:
            return
        day = utc_day(now)
        with transaction(self.db, immediate=True):
            self.charge_in_transaction(origin, tokens, day)

    def charge_in_transaction(self, origin: str, tokens: int, day: str) -> None:
        for scope in (origin, OVERALL):
            self.db.execute(
                "INSERT INTO daily_tokens (day, origin, tokens) VALUES (?, ?, ?)"
                " ON CONFLICT (day, origin) DO UPDATE SET tokens = tokens + excluded.tokens",
                (day, scope, tokens),
            )

    def used(self, day: str, scope: str) -> int:
        row = self.db.execute("SELECT tokens FROM daily_tokens WHERE day = ? AND origin = ?", (day, scope)).fetchone()
        return row["tokens"] if row else 0
