"""The policy store under SIGKILL, and schema migrations that keep every row."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from navllm.policy.db import MIGRATIONS, connect
from navllm.policy.grants import Grants

WRITER = Path(__file__).with_name("store_writer.py")
WRITES = 1000


def _check(path: Path, acknowledged: set[int]) -> int:
    """Reopen the store; it must be consistent and hold every acknowledged write. Returns rows written."""
    db = connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        granted = {int(r["origin"][len("https://site") : -len(".example")]) for r in db.execute("SELECT origin FROM grants")}
        logged = {r["input_tokens"] for r in db.execute("SELECT input_tokens FROM usage")}
        for n in acknowledged:
            assert n in (granted if n % 2 == 0 else logged), f"acknowledged write {n} was lost"
        for row in db.execute("SELECT providers FROM grants"):
            assert json.loads(row["providers"])[0] == "local"
        # A usage row and its day-total charge commit together or not at all.
        charged = db.execute("SELECT COALESCE(SUM(tokens), 0) FROM daily_tokens WHERE origin != 'overall'").fetchone()[0]
        spent = db.execute("SELECT COALESCE(SUM(input_tokens + output_tokens), 0) FROM usage").fetchone()[0]
        assert charged == spent
        return len(granted) + len(logged)
    finally:
        db.close()


def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path):
    path = tmp_path / "navllm.db"
    rng = random.Random(5)
    acknowledged: set[int] = set()
    start = kills = 0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "host"), os.environ.get("PYTHONPATH", "")])}
    while start < WRITES:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), str(start), str(WRITES)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert proc.stdout
        target = rng.randint(1, 150)
        for _ in range(target):
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.add(int(line))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        acknowledged.update(int(x) for x in proc.stdout.read().split())  # acks already written before the kill
        proc.stdout.close()
        written = _check(path, acknowledged)
        start = max(acknowledged, default=-1) + 1
        assert written >= len(acknowledged)
    assert kills >= 5
    assert len(acknowledged) == WRITES


def test_migrating_from_an_earlier_schema_keeps_all_data(tmp_path):
    """From before m003 (the usage day it fills in), through every migration since."""
    path = tmp_path / "navllm.db"
    previous = MIGRATIONS[: [name for name, _ in MIGRATIONS].index("m003_usage_day")]
    db = connect(path, previous)
    Grants(db).set("https://a.example", "https://a.example", "granted", ["local", "openai"], 2_000_000_000.0, 1.0)
    Grants(db).set("https://w.example", "https://a.example", "denied", [], None, 2.0)
    Grants(db).dismiss("https://b.example", "https://b.example", 3.0)
    Grants(db).delegate("https://a.example", "https://w.example", True)
    db.execute(
        "INSERT INTO usage (ts, origin, top_origin, action, provider, model, input_tokens, output_tokens, latency_ms, outcome, prompt_text)"
        " VALUES (1800000000.5, 'https://a.example', 'https://a.example', 'prompt', 'local', 'm', 10, 20, 30.0, 'ok', 'hello')"
    )
    db.execute("INSERT INTO quota_limits VALUES ('https://a.example', 7, 700)")
    db.execute("INSERT INTO daily_tokens VALUES ('2027-01-15', 'https://a.example', 30)")
    before = {
        t: db.execute(f"SELECT * FROM {t}").fetchall()
        for t in ("grants", "dismissals", "delegations", "quota_limits", "daily_tokens", "usage")
    }
    db.close()

    db = connect(path)
    applied = [r["name"] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert applied == [name for name, _ in MIGRATIONS]
    for table, rows in before.items():
        after = db.execute(f"SELECT * FROM {table}").fetchall()
        assert len(after) == len(rows), table
        for old, new in zip(rows, after, strict=True):
            assert {k: new[k] for k in old.keys()}  # noqa: SIM118 -- a sqlite3.Row iterates over its values, not its keys == dict(old), table
    assert db.execute("SELECT day FROM usage").fetchone()[0] == "2027-01-15"
    assert Grants(db).get("https://a.example", "https://a.example", 5.0).providers == ("local", "openai")
    db.close()


def test_migrations_are_recorded_once(tmp_path):
    path = tmp_path / "navllm.db"
    connect(path).close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    connect(path).close()  # reopening applies nothing twice
    assert oct(path.stat().st_mode & 0o777) == "0o600"
