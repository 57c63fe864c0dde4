"""The policy database: grants, quotas and usage in one SQLite file under ``data_dir()``.

WAL with ``synchronous=FULL``: a committed transaction survives a killed process and a power
cut, and a reader never sees half a write. The schema grows by append-only migrations whose
names are recorded in ``_migrations``; never edit or reorder one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

DB_NAME = "navllm.db"

Migration = tuple[str, Callable[[sqlite3.Connection], None]]
MIGRATIONS: list[Migration] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_grants_and_usage(db: sqlite3.Connection) -> None:
    _run(db, 
        """
        CREATE TABLE grants (
            origin TEXT NOT NULL,
            top_origin TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('granted', 'denied')),
            providers TEXT NOT NULL DEFAULT '[]',
            expires_at REAL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (origin, top_origin)
        );
        CREATE TABLE dismissals (
            origin TEXT NOT NULL,
            top_origin TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            embargo_until REAL,
            PRIMARY KEY (origin, top_origin)
        );
        CREATE TABLE delegations (
            top_origin TEXT NOT NULL,
            frame_origin TEXT NOT NULL,
            PRIMARY KEY (top_origin, frame_origin)
        );
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            origin TEXT NOT NULL,
            top_origin TEXT NOT NULL,
            action TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            outcome TEXT NOT NULL,
            prompt_text TEXT,
            reply_text TEXT
        );
        CREATE INDEX usage_ts ON usage (ts);
        """
    )


@migration
def m002_quotas(db: sqlite3.Connection) -> None:
    _run(db, 
        """
        CREATE TABLE quota_limits (
            scope TEXT PRIMARY KEY,
            requests_per_minute INTEGER,
            daily_tokens INTEGER
        );
        CREATE TABLE buckets (
            origin TEXT PRIMARY KEY,
            tokens REAL NOT NULL,
            updated REAL NOT NULL
        );
        CREATE TABLE daily_tokens (
            day TEXT NOT NULL,
            origin TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            PRIMARY KEY (day, origin)
        );
        """
    )


@migration
def m003_usage_day(db: sqlite3.Connection) -> None:
    """Charts group by UTC day: store it once instead of computing it on every query."""
    _run(db, 
        """
        ALTER TABLE usage ADD COLUMN day TEXT NOT NULL DEFAULT '';
        UPDATE usage SET day = strftime('%Y-%m-%d', ts, 'unixepoch');
        CREATE INDEX usage_day ON usage (day, origin, provider);
        """
    )


def db_path() -> Path:
    from ..paths import data_dir

    return data_dir() / DB_NAME


MEMORY = ":memory:"


def connect(path: Path | str | None = None, migrations: list[Migration] = MIGRATIONS) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the policy database; ``MEMORY`` gives a private one
    that vanishes when closed (incognito state uses the same schema that way)."""
    path = path or db_path()
    db = sqlite3.connect(path, isolation_level=None, timeout=10)
    if path != MEMORY:
        Path(path).chmod(0o600)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    migrate(db, migrations)
    return db


def migrate(db: sqlite3.Connection, migrations: list[Migration] = MIGRATIONS) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = []
    for name, apply in migrations:
        with transaction(db, immediate=True):
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                continue
            apply(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, strftime('%s', 'now'))", (name,))
            applied.append(name)
    return applied


def _run(db: sqlite3.Connection, script: str) -> None:
    # Statement by statement: ``executescript`` would commit the migration's transaction early.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


class transaction:
    """``with transaction(db):`` commits on success and rolls back on any error."""

    def __init__(self, db: sqlite3.Connection, immediate: bool = False):
        self.db = db
        self.begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute(self.begin)
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
