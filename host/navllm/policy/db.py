"""The policy database: grants, quotas and usage in one SQLite file under ``data_dir()``.

WAL with ``synchronous=FULL``: a committed transaction survives a killed process and a power
cut, and a reader never sees half a write. The schema grows by append-only migrations whose
names are recorded in ``_migrations``; never edit or reorder one that has shipped.

A missing file is a fresh install; an existing one that is empty, not SQLite, not ours, or fails
SQLite's quick check is damage: a DataError naming it, and it is left exactly as found.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from ..atomic import damaged

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

    # What sqlite3 binds to a statement's placeholders, as typeshed spells it: a sequence, or a mapping for named ones.
    SqlParameters: TypeAlias = SupportsLenAndGetItem[Any] | Mapping[str, Any]

DB_NAME = "navllm.db"

Migration = tuple[str, Callable[[sqlite3.Connection], None]]
MIGRATIONS: list[Migration] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_grants_and_usage(db: sqlite3.Connection) -> None:
    _run(
        db,
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
        """,
    )


@migration
def m002_quotas(db: sqlite3.Connection) -> None:
    _run(
        db,
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
        """,
    )


@migration
def m003_usage_day(db: sqlite3.Connection) -> None:
    """Charts group by UTC day: store it once instead of computing it on every query."""
    _run(
        db,
        """
        ALTER TABLE usage ADD COLUMN day TEXT NOT NULL DEFAULT '';
        UPDATE usage SET day = strftime('%Y-%m-%d', ts, 'unixepoch');
        CREATE INDEX usage_day ON usage (day, origin, provider);
        """,
    )


@migration
def m004_app_tokens(db: sqlite3.Connection) -> None:
    """Apps the user gave a token for ``navllm serve``: the token's SHA-256 only, never the token."""
    _run(
        db,
        """
        CREATE TABLE app_tokens (
            name TEXT PRIMARY KEY,
            token_sha256 BLOB NOT NULL UNIQUE,
            providers TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL,
            expires_at REAL,
            last_used_at REAL
        );
        """,
    )


def db_path() -> Path:
    from ..paths import data_dir

    return data_dir() / DB_NAME


MEMORY = ":memory:"


def connect(path: Path | str | None = None, migrations: list[Migration] = MIGRATIONS) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the policy database; ``MEMORY`` gives a private one
    that vanishes when closed (incognito state uses the same schema that way)."""
    if path == MEMORY:
        db = _open(MEMORY)
    else:
        path = Path(path or db_path())
        if not path.exists():
            _create(path, migrations)
        db = _open_existing(path)
        path.chmod(0o600)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    migrate(db, migrations)
    return db


def check(path: Path | None = None) -> None:
    """DataError when the database file is damaged; no file is fine (it is created on first use)."""
    path = Path(path or db_path())
    if path.exists():
        _open_existing(path).close()


class _Guarded(sqlite3.Connection):
    """A connection whose queries report a damaged file as a DataError naming it, never as an internal error."""

    path = MEMORY

    def execute(self, sql: str, parameters: SqlParameters = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise damaged(self.path, str(exc)) from None
            raise


DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM", "SQLITE_READONLY")


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    # "no such table/column" in a database that recorded its migrations: someone removed them.
    return name.startswith(DAMAGE) or (name == "SQLITE_ERROR" and str(exc).startswith("no such "))


def _open(target: str, uri: bool = False, path: str = MEMORY) -> _Guarded:
    try:
        db = sqlite3.connect(target, isolation_level=None, timeout=10, factory=_Guarded, uri=uri)
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None
    db.path = path
    db.row_factory = sqlite3.Row
    return db


def _open_existing(path: Path) -> _Guarded:
    """Open without creating and prove the file is a sound navllm database before anything writes to it."""
    if path.stat().st_size == 0:
        raise damaged(path, "it is empty; a new install has no file at all")
    db = _open(path.resolve().as_uri() + "?mode=rw", uri=True, path=str(path))
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise damaged(path, "; ".join(problems)[:300])
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "_migrations" not in tables:
            raise damaged(path, "it is an SQLite database, but not navllm's")
    except sqlite3.DatabaseError as exc:  # met while reading rows, past the connection's guard
        db.close()
        if _is_damage(exc):
            raise damaged(path, str(exc)) from None
        raise
    except BaseException:
        db.close()
        raise
    return db


def _create(path: Path, migrations: list[Migration]) -> None:
    """Build a new database beside ``path`` and link it into place, so another host starting at the
    same moment finds either no file or a whole one (an empty file would be damage)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    try:
        db = _open(tmp, path=tmp)
        db.execute("PRAGMA journal_mode=WAL")
        migrate(db, migrations)
        db.close()  # the last connection checkpoints: everything is in the file itself
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):  # another host created it first; use theirs
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
