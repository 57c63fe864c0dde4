"""``navllm serve --install-autostart``: the systemd user unit where systemd looks for it (enabled
through ``systemctl --user`` only when there is one; here a stand-in records the calls), removed
again; the macOS LaunchAgent's content; the settings the native host reads raw agree with the
validated ones."""

from __future__ import annotations

import os
import plistlib
import sys
import typing

import pytest

from navllm import settings
from navllm.daemon import autostart
from navllm.link import connect
from navllm.link.state import DEFAULT_PORT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the systemd unit is Linux's")


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    """XDG_CONFIG_HOME in tmp_path and a stand-in systemctl that records its arguments."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_the_systemd_unit_is_written_enabled_and_removed(systemd, tmp_path, navllm_home):
    said = autostart.install()
    unit = tmp_path / "config" / "systemd" / "user" / "navllm.service"
    assert str(unit) in said
    text = unit.read_text()
    assert f"ExecStart={sys.executable} -m navllm serve\n" in text
    assert f'Environment="NAVLLM_HOME={navllm_home}"' in text  # the host looks for daemon.json there
    assert "--idle-exit" not in text and "WantedBy=default.target" in text
    assert unit.stat().st_mode & 0o777 == 0o644
    assert systemd.read_text().splitlines() == ["--user daemon-reload", "--user enable --now navllm.service"]

    autostart.remove()
    assert not unit.exists()
    assert systemd.read_text().splitlines()[2:] == ["--user disable --now navllm.service", "--user daemon-reload"]


def test_without_systemctl_the_unit_is_only_written(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no systemctl
    said = autostart.install()
    assert "systemctl --user is not available" in said
    assert (tmp_path / "config" / "systemd" / "user" / "navllm.service").exists()


def test_the_launch_agent_runs_serve_at_login(navllm_home):
    agent = plistlib.loads(autostart.launch_agent().encode())
    assert agent["Label"] == "org.navllm.serve"
    assert agent["ProgramArguments"] == [sys.executable, "-m", "navllm", "serve"]
    assert agent["EnvironmentVariables"] == {"NAVLLM_HOME": str(navllm_home)}
    assert agent["RunAtLoad"] is True


def test_the_raw_settings_the_host_reads_agree_with_the_validated_ones(monkeypatch):
    monkeypatch.delenv("NAVLLM_DAEMON")
    fields = settings.Settings.model_fields
    assert typing.get_args(fields["daemon"].annotation) == connect.MODES
    assert fields["daemon"].default == connect.DEFAULT_MODE
    assert fields["serve_port"].default == DEFAULT_PORT
    assert fields["daemon"].alias == "daemon" and fields["serve_port"].alias == "servePort"
    settings.update({"daemon": "off", "servePort": 0})
    assert connect.mode(connect.settings_file()) == "off"
    assert connect.serve_port(connect.settings_file()) == 0
