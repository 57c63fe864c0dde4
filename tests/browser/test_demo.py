"""``navllm demo`` (the README's main job) end to end, on the echo backend."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from navllm.providers.echo import PREAMBLE

pytestmark = pytest.mark.browser


def test_demo_streams_the_pages_answer_into_the_terminal(navllm_home, tmp_path):
    env = {**os.environ, "NAVLLM_HOME": str(navllm_home), "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "navllm", "settings", "set", "echoEnabled", "true"], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "navllm", "demo", "--prompt", "is anyone there?"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "navigator.llm.availability() said 'available'" in done.stdout
    assert PREAMBLE + "is anyone there?" in done.stdout
    assert "first text after" in done.stdout
    # The page's grant was temporary: nothing is left behind in the user's grants.
    listed = subprocess.run([sys.executable, "-m", "navllm", "grants", "list"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "127.0.0.1" not in listed.stdout
