"""Temp files of interrupted atomic writes are swept at host start: a dead writer's at once,
anyone's once stale; a live writer's fresh one (another host writing right now) is kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from damage import Host


def test_host_start_sweeps_leftover_temp_files(navllm_home):
    config, data, vault = navllm_home / "config", navllm_home / "data", navllm_home / "data" / "vault"
    for folder in (config, data, vault):
        folder.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = [config / ".settings.json.k2j4h1x9.tmp", vault / ".keys.vault.a8d7f6s5.tmp"]  # old-style names, an hour old
    killed = [config / f".keys.json.{dead_pid}.q1w2e3r4.tmp", data / f".navllm.db.{dead_pid}.z9x8c7v6.tmp"]
    live = [config / f".settings.json.{os.getpid()}.m5n6b7v8.tmp"]  # fresh, its writer (this test) alive
    for path in stale + killed + live:
        path.write_bytes(b"{}")
    hour_ago = time.time() - 3600
    for path in stale:
        os.utime(path, (hour_ago, hour_ago))
    keep = config / "settings.json.damaged-20250101T000000Z"  # a repair's backup is no temp file
    keep.write_bytes(b"{")

    host = Host(navllm_home)
    try:
        host.ok("status")
    finally:
        assert host.close() == 0
    assert [p for p in stale + killed if p.exists()] == []
    assert all(p.exists() for p in live) and keep.exists()
