"""``navllm serve --install-autostart`` / ``--remove-autostart``: the daemon started at login.

Linux: a systemd user unit in ``$XDG_CONFIG_HOME/systemd/user`` (``systemctl --user`` enables it
when systemd is there). macOS: a LaunchAgent plist in ``~/Library/LaunchAgents``. Windows: a Task
Scheduler task run at logon (``schtasks``). An autostarted daemon has no ``--idle-exit``: the user
asked for it to stay.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from ..atomic import write_atomic

UNIT = "navllm.service"
AGENT = "org.navllm.serve"
TASK = "navllm serve"


def command() -> list[str]:
    return [sys.executable, "-m", "navllm", "serve"]


def _home_env() -> dict[str, str]:
    """A custom NAVLLM_HOME the daemon must keep (the native host looks for its state file there)."""
    home = os.environ.get("NAVLLM_HOME")
    return {"NAVLLM_HOME": home} if home else {}


def systemd_unit() -> str:
    environment = "".join(f'Environment="{name}={value}"\n' for name, value in _home_env().items())
    exec_start = " ".join(f'"{part}"' if " " in part else part for part in command())
    return (
        "[Unit]\nDescription=navllm serve: local AI for the browser and apps\n\n"
        f"[Service]\nExecStart={exec_start}\n{environment}Restart=on-failure\n\n"
        "[Install]\nWantedBy=default.target\n"
    )


def unit_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user" / UNIT


def launch_agent() -> str:
    arguments = "".join(f"    <string>{escape(part)}</string>\n" for part in command())
    environment = "".join(f"    <key>{escape(k)}</key><string>{escape(v)}</string>\n" for k, v in _home_env().items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key><string>{AGENT}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{arguments}  </array>\n"
        f"  <key>EnvironmentVariables</key>\n  <dict>\n{environment}  </dict>\n"
        "  <key>RunAtLoad</key><true/>\n"
        "</dict>\n</plist>\n"
    )


def agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{AGENT}.plist"


def install() -> str:
    """Register the daemon to start at login; what was done, for the user."""
    if sys.platform == "win32":
        # A task runs without NAVLLM_HOME; a portable install starts the daemon by hand.
        _run(["schtasks", "/Create", "/TN", TASK, "/TR", subprocess.list2cmdline(command()), "/SC", "ONLOGON", "/F"])
        return f"registered the Task Scheduler task {TASK!r} (at logon)"
    if sys.platform == "darwin":
        path = agent_path()
        write_atomic(path, launch_agent().encode(), mode=0o644)
        _run(["launchctl", "load", "-w", str(path)])
        return f"wrote {path} and loaded it"
    path = unit_path()
    write_atomic(path, systemd_unit().encode(), mode=0o644)
    if _run(["systemctl", "--user", "daemon-reload"]) and _run(["systemctl", "--user", "enable", "--now", UNIT]):
        return f"wrote {path}; systemd starts it now and at every login"
    return f"wrote {path}; systemctl --user is not available here, so start it with your session's own autostart"


def remove() -> str:
    if sys.platform == "win32":
        _run(["schtasks", "/Delete", "/TN", TASK, "/F"])
        return f"removed the Task Scheduler task {TASK!r}"
    if sys.platform == "darwin":
        path = agent_path()
        _run(["launchctl", "unload", "-w", str(path)])
        path.unlink(missing_ok=True)
        return f"removed {path}"
    path = unit_path()
    _run(["systemctl", "--user", "disable", "--now", UNIT])
    path.unlink(missing_ok=True)
    _run(["systemctl", "--user", "daemon-reload"])
    return f"removed {path}"


def _run(args: list[str]) -> bool:
    """Run a service manager's command if it is installed; whether it succeeded."""
    if shutil.which(args[0]) is None:
        return False
    return subprocess.run(args, capture_output=True, check=False, timeout=60).returncode == 0
