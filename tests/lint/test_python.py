"""The Python stays clean under the linters pyproject.toml configures: ``ruff check`` (its
[tool.ruff] rules), ``ruff format --check`` (nothing the formatter would change) and ``mypy``
(--strict over host/navllm, with the pydantic plugin). Run here so a new finding fails the suite
where it was introduced instead of piling up; ruff and mypy are pinned in the test extra, so a new
release's findings arrive as a change of ours. ruff runs with ``--no-cache`` (it writes nothing);
mypy keeps its incremental cache in .mypy_cache (ignored by git), which only makes later runs faster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["host", "tests", "install.py", "setup.py"]

COMMANDS = {
    "ruff check": [sys.executable, "-m", "ruff", "check", "--no-cache", *PATHS],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *PATHS],
    "mypy": [sys.executable, "-m", "mypy"],
}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_the_python_is_clean(command):
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, f"{' '.join(command[2:])} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
