"""The program browsers start: a tiny script that runs ``python -m navllm.host`` with the
interpreter navllm is installed in, the extension ids it may serve, and (only when the user
chose one) a custom ``NAVLLM_HOME``."""

from __future__ import annotations

import shlex
from pathlib import Path, PurePath

from ..atomic import write_atomic
from . import ALLOWED_CALLERS
from .locations import OS

CALLERS = " ".join(ALLOWED_CALLERS)


def launcher_path(os_name: OS, data: PurePath) -> PurePath:
    return data / "host" / ("navllm-host.bat" if os_name == "windows" else "navllm-host")


def render(os_name: OS, python: str, home: str | None) -> str:
    if os_name == "windows":
        lines = ["@echo off", "rem navllm native-messaging host, written by `navllm install`.", f'set "NAVLLM_ALLOWED_CALLERS={CALLERS}"']
        if home:
            lines.append(f'set "NAVLLM_HOME={home}"')
        lines.append(f'"{python}" -m navllm.host %*')
        return "\r\n".join(lines) + "\r\n"
    lines = [
        "#!/bin/sh",
        "# navllm native-messaging host, written by `navllm install`.",
        f"NAVLLM_ALLOWED_CALLERS={shlex.quote(CALLERS)}",
        "export NAVLLM_ALLOWED_CALLERS",
    ]
    if home:
        lines += [f"NAVLLM_HOME={shlex.quote(home)}", "export NAVLLM_HOME"]
    lines.append(f'exec {shlex.quote(python)} -m navllm.host "$@"')
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> bool:
    """Write the launcher (0755) unless it already says exactly this; True if it changed."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data and (path.stat().st_mode & 0o777) == 0o755:
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    write_atomic(path, data, mode=0o755)
    return True
