"""``navllm serve`` as a process: where it says it listens, one per user, a clean stop on SIGTERM,
Ctrl-C (SIGINT) and its terminal closing (SIGHUP), and no token in its log."""

from __future__ import annotations

import signal
import subprocess

import httpx2

from tests.daemon.conftest import DEADLINE, ROOT, SERVE, DaemonProcess, make_token, serve_env, write_settings


def test_one_daemon_per_user_and_a_clean_stop(navllm_home):
    write_settings(navllm_home, echoEnabled=True)
    token = make_token("editor")
    daemon = DaemonProcess(navllm_home)
    try:
        state_file = navllm_home / "data" / "daemon.json"
        assert daemon.state["pid"] == daemon.proc.pid
        assert state_file.stat().st_mode & 0o777 == 0o600
        models = daemon.client(token).models.list()
        assert [m.id for m in models.data] == ["echo"]
        refused = httpx2.get(f"http://127.0.0.1:{daemon.port}/v1/models?api_key={token}", timeout=DEADLINE)
        assert refused.status_code == 400

        second = subprocess.run(SERVE, capture_output=True, text=True, timeout=DEADLINE, env=serve_env(navllm_home), cwd=ROOT)
        assert second.returncode == 75  # EX_TEMPFAIL: a daemon is there (a host starting one on demand waits for it)
        assert f"pid {daemon.proc.pid}, port {daemon.port}" in second.stderr
    finally:
        status, out, err = daemon.stop(signal.SIGTERM)
    assert status == 0, err
    assert "stopped" in out
    assert not state_file.exists()
    assert token not in (navllm_home / "logs" / "daemon.log").read_text()

    for sig in (signal.SIGINT, signal.SIGHUP):  # Ctrl-C; its terminal closed
        again = DaemonProcess(navllm_home)  # the lock went with the process
        status, out, err = again.stop(sig)
        assert status == 0, err
        assert "stopped" in out and not state_file.exists()
