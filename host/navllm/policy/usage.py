"""The usage log: one row per request (who, which provider and model, tokens, latency, outcome),
with the prompt and reply text only while the user keeps history on, and only for as long as
the retention period. Aggregates come out per day × origin × provider × action, ready to chart.

History keeps at most ``HISTORY_CHARS`` of each text, and the reply only of a request that
succeeded: a reply cut off (aborted, over a limit, a lost connection) is no answer to keep.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass
from typing import Any

from .db import transaction
from .quotas import Quotas, utc_day

DAY = 86400
COLUMNS = (
    "ts",
    "day",
    "origin",
    "top_origin",
    "action",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "outcome",
    "prompt_text",
    "reply_text",
)
WINDOWS = {"today": 1, "7 days": 7, "30 days": 30}
# Per text field: enough to read a conversation back, small enough that exports stay light.
HISTORY_CHARS = 65536
TRUNCATED = "\n[… truncated]"


@dataclass(frozen=True)
class Entry:
    ts: float
    origin: str
    top_origin: str
    action: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    outcome: str
    prompt_text: str | None = None
    reply_text: str | None = None


class Usage:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.quotas = Quotas(db)

    def record(self, entry: Entry) -> int:
        """Write the row and charge its tokens to the day totals in one transaction."""
        day = utc_day(entry.ts)
        with transaction(self.db, immediate=True):
            cur = self.db.execute(
                f"INSERT INTO usage ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                (
                    entry.ts,
                    day,
                    entry.origin,
                    entry.top_origin,
                    entry.action,
                    entry.provider,
                    entry.model,
                    entry.input_tokens,
                    entry.output_tokens,
                    entry.latency_ms,
                    entry.outcome,
                    _capped(entry.prompt_text),
                    _capped(entry.reply_text) if entry.outcome == "ok" else None,
                ),
            )
            tokens = entry.input_tokens + entry.output_tokens
            if tokens > 0:
                self.quotas.charge_in_transaction(entry.origin, tokens, day)
        rowid = cur.lastrowid
        assert rowid is not None  # an INSERT always sets it
        return rowid

    def forget_text_before(self, cutoff: float) -> int:
        """Enforce history retention: drop prompt and reply text older than ``cutoff``."""
        with transaction(self.db, immediate=True):
            cur = self.db.execute(
                "UPDATE usage SET prompt_text = NULL, reply_text = NULL WHERE ts < ? AND (prompt_text IS NOT NULL OR reply_text IS NOT NULL)",
                (cutoff,),
            )
        return cur.rowcount

    def clear(self, origin: str | None = None) -> int:
        """Delete the log for one origin (as requester or as the embedding page) or all of it.
        Day totals for quotas stay: clearing history is no way to reset a budget."""
        with transaction(self.db, immediate=True):
            if origin is None:
                cur = self.db.execute("DELETE FROM usage")
            else:
                cur = self.db.execute("DELETE FROM usage WHERE origin = ? OR top_origin = ?", (origin, origin))
        return cur.rowcount

    def rows(self, since: float = 0.0, origin: str | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT id, {', '.join(COLUMNS)} FROM usage WHERE ts >= ?"
        args: list[float | str] = [since]
        if origin is not None:
            sql += " AND origin = ?"
            args.append(origin)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY ts, id", args)]

    def series(self, days: int, now: float) -> list[dict[str, Any]]:
        """Per day × origin × provider × action: requests, errors, tokens in and out, mean latency.
        The action tells which API was used (prompt, summarize, translate…), so charts can stack by API."""
        since = utc_day(now - (days - 1) * DAY)
        rows = self.db.execute(
            "SELECT day, origin, provider, action, COUNT(*) AS requests, SUM(outcome != 'ok') AS errors,"
            " SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, AVG(latency_ms) AS mean_latency_ms"
            " FROM usage WHERE day >= ? GROUP BY day, origin, provider, action ORDER BY day, origin, provider, action",
            (since,),
        )
        return [_camel(dict(r)) for r in rows]

    def summary(self, now: float) -> dict[str, Any]:
        """Totals per origin and per provider for today, the last 7 days and the last 30 days."""
        out: dict[str, dict[str, dict[str, Any]]] = {"byOrigin": {}, "byProvider": {}}
        for window, days in WINDOWS.items():
            since = utc_day(now - (days - 1) * DAY)
            for key, column in (("byOrigin", "origin"), ("byProvider", "provider")):
                rows = self.db.execute(
                    f"SELECT {column} AS name, COUNT(*) AS requests, SUM(input_tokens + output_tokens) AS tokens,"
                    " SUM(outcome != 'ok') AS errors"
                    f" FROM usage WHERE day >= ? GROUP BY {column}",
                    (since,),
                )
                for r in rows:
                    out[key].setdefault(r["name"], {})[window] = {"requests": r["requests"], "tokens": r["tokens"], "errors": r["errors"]}
        return out

    def export(self, fmt: str, since: float = 0.0) -> str:
        rows = self.rows(since)
        if fmt == "json":
            import json

            return json.dumps(rows, ensure_ascii=False, indent=1)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["id", *COLUMNS], lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _inert(v) for k, v in row.items()} for row in rows)
        return buffer.getvalue()


def _capped(text: str | None) -> str | None:
    return text if text is None or len(text) <= HISTORY_CHARS else text[:HISTORY_CHARS] + TRUNCATED


def _inert(value: object) -> object:
    """A cell spreadsheets will not run: page text such as ``=HYPERLINK(...)`` gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _camel(row: dict[str, Any]) -> dict[str, Any]:
    from pydantic.alias_generators import to_camel

    return {to_camel(k): v for k, v in row.items()}
