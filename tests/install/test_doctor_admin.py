"""The side panel's view of ``navllm install --check``: the ``doctor`` admin request."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.host_process import ADMIN, PAGE, HostProcess


def test_doctor_reports_a_registered_browser_whose_host_answers(tmp_path, navllm_home):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "NAVLLM_HOME": str(navllm_home)}
    subprocess.run([sys.executable, "-m", "navllm", "install", "--browser", "firefox"], env=env, check=True, capture_output=True)

    host = HostProcess(navllm_home, env={"HOME": str(home)})
    try:
        report = {entry["browser"]: entry for entry in host.call("doctor", ADMIN)["data"]}
        refused = host.call("doctor", PAGE)
    finally:
        host.close()

    firefox = report["firefox"]
    assert firefox["healthy"], firefox["lines"]
    assert firefox["manifest"].startswith(str(home / ".mozilla" / "native-messaging-hosts"))
    assert "  host starts and answers hello" in firefox["lines"]
    assert report["chromium"]["lines"][1:] == ["  not registered"]
    assert refused["error"]["name"] == "NotAllowedError"
