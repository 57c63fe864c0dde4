"""``navllm providers`` as a user runs it: add from presets, refuse bad input without losing anything, reorder, test."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

from fake_openai import MODEL, FakeOpenAI

from navllm.cli import main


def navllm(*args: str) -> subprocess.CompletedProcess:
    """Run ``navllm providers ARGS`` in this process (the same entry point; a process start costs ~2 s)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["providers", *args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_the_installed_command_runs():
    done = subprocess.run(
        [sys.executable, "-m", "navllm", "providers", "presets"], capture_output=True, text=True, env=dict(os.environ), timeout=60
    )
    assert done.returncode == 0 and "https://api.groq.com/openai/v1" in done.stdout


def test_add_edit_order_test_remove(navllm_home):
    settings = navllm_home / "config" / "settings.json"
    with FakeOpenAI() as server:
        assert navllm("add", "router", "--preset", "openrouter").returncode == 0
        assert navllm("add", "box", "--kind", "openai", "--base-url", server.base_url, "--position", "0").returncode == 0
        before = settings.read_bytes()
        for bad in (
            ["add", "box", "--preset", "groq"],
            ["add", "x", "--preset", "nope"],
            ["add", "y", "--kind", "openai", "--base-url", "gopher://x"],
            ["edit", "box", "--context-window", "5"],
            ["order", "box"],
            ["edit", "ghost", "--model", "m"],
        ):
            failed = navllm(*bad)
            assert failed.returncode == 1 and failed.stderr.startswith("navllm: "), (bad, failed.stderr)
        assert settings.read_bytes() == before

        listed = navllm("list").stdout.splitlines()
        assert listed[0].startswith("1. box") and "no key needed" in listed[0] and listed[1].startswith("2. local")
        assert "openrouter.ai" in listed[2] and "NO KEY" in listed[2]

        assert navllm("edit", "box", "--deadline", "45", "--max-reply-chars", "4096", "--context-window", "9000").returncode == 0
        box = json.loads(settings.read_text())["providers"][0]
        assert (box["deadline"], box["maxReplyChars"], box["contextWindow"]) == (45, 4096, 9000)
        assert navllm("edit", "box", "--max-reply-chars", "100").returncode == 1

        assert navllm("order", "router", "box", "local").returncode == 0
        assert [p["name"] for p in json.loads(settings.read_text())["providers"]] == ["router", "box", "local"]
        assert navllm("edit", "router", "--disable").returncode == 0

        tested = navllm("test", "box")
        assert tested.returncode == 0 and f"OK, {MODEL} answered" in tested.stdout
        assert server.generations()[-1].body["max_tokens"] == 1
        keyless = navllm("test", "router")
        assert keyless.returncode == 1 and "NotAllowedError" in keyless.stdout and "navllm keys set router" in keyless.stdout

        assert navllm("remove", "router").returncode == 0
        assert "router" not in navllm("list").stdout
