"""The extension's JavaScript passes ESLint with the repository's ``eslint.config.mjs`` (kept at the
root, out of the shipped ``extension/``): no errors and no warnings. ``tests/run`` installs eslint,
``@eslint/js`` and ``globals`` from npm into .cache/npm; NAVLLM_ESLINT names the eslint to run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "eslint.config.mjs"


def eslint() -> str:
    named = os.environ.get("NAVLLM_ESLINT")
    if named:
        assert Path(named).is_file(), f"NAVLLM_ESLINT={named} does not exist"
        return named
    found = ROOT / ".cache" / "npm" / "node_modules" / ".bin" / "eslint"
    if found.is_file():
        return str(found)
    if shutil.which("eslint"):
        return shutil.which("eslint")
    # CI must lint the extension; elsewhere a machine without Node may skip it.
    assert not os.environ.get("CI"), "eslint is not installed: tests/run installs it from npm"
    pytest.skip("eslint is not installed (tests/run installs it from npm)")


def test_the_extension_passes_eslint():
    done = subprocess.run(
        [eslint(), "--config", str(CONFIG), "--max-warnings", "0", "extension/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_UPDATE_NOTIFIER": "1"},
    )
    assert done.returncode == 0, f"eslint exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
