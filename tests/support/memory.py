"""What a test reads of a child process's memory (a fresh interpreter, so no other test's memory counts)."""

# Prepended to a child's script: ``anon()`` is the process's anonymous RSS in MiB (Linux).
ANON_MIB = """
from pathlib import Path as _Path

def anon():
    status = _Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("RssAnon:"))) / 1024
"""
