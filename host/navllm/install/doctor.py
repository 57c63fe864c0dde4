"""``navllm install --check``: what is registered where, whether the launcher starts and
answers hello, and which extension ids each manifest allows."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path

from .. import PROTOCOL_VERSION, __version__
from . import CHROME_ORIGIN, FIREFOX_EXTENSION_ID, HOST_NAME
from .locations import Location
from .manifests import ALLOWED

HEADER = struct.Struct("=I")
PROBE_TIMEOUT = 20.0


def probe(launcher: Path, location: Location) -> str | None:
    """Start the launcher as the browser would and say hello; None if it answered, else why not."""
    if not os.access(launcher, os.X_OK):
        return f"launcher {launcher} is missing or not executable"
    args = [CHROME_ORIGIN] if location.family == "chromium" else [str(location.manifest), FIREFOX_EXTENSION_ID]
    hello = json.dumps({
        "id": "check",
        "type": "hello",
        "caller": {"kind": "extension", "origin": "navllm-install-check"},
        "extensionVersion": __version__,
        "protocol": PROTOCOL_VERSION,
    }).encode()
    try:
        done = subprocess.run(
            [str(launcher), *args],
            input=HEADER.pack(len(hello)) + hello,
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            cwd=launcher.parent,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"launcher did not run: {exc}"
    out = done.stdout
    if len(out) < HEADER.size:
        stderr = done.stderr.decode(errors="replace").strip().splitlines()
        return f"launcher exited with {done.returncode} without answering" + (f": {stderr[-1]}" if stderr else "")
    (length,) = HEADER.unpack(out[: HEADER.size])
    reply = json.loads(out[HEADER.size : HEADER.size + length])
    if reply.get("type") != "done":
        return f"host answered hello with {reply.get('error', reply)}"
    return None


def check(location: Location) -> tuple[bool, list[str]]:
    """(healthy, report lines) for one browser; a browser without our manifest is not an error."""
    path = Path(location.manifest)
    lines = [f"{location.browser}: {path}"]
    if not path.exists():
        lines.append("  not registered")
        return True, lines
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        lines.append(f"  PROBLEM: unreadable manifest ({exc})")
        return False, lines
    problems = []
    if manifest.get("name") != HOST_NAME:
        problems.append(f"name is {manifest.get('name')!r}, expected {HOST_NAME!r}")
    key = "allowed_origins" if location.family == "chromium" else "allowed_extensions"
    allowed = manifest.get(key)
    shown = ", ".join(map(str, allowed)) if isinstance(allowed, list) else repr(allowed)
    lines.append(f"  allows: {shown}")
    if allowed != ALLOWED[location.family]:
        problems.append(f"{key} should be exactly {ALLOWED[location.family]}")
    mode = path.stat().st_mode & 0o777
    if os.name != "nt" and mode & 0o022:
        problems.append(f"manifest is writable by other users (mode {mode:o})")
    launcher = Path(str(manifest.get("path", "")))
    lines.append(f"  launcher: {launcher}")
    if not launcher.is_absolute():
        problems.append("launcher path is not absolute")
    elif failure := probe(launcher, location):
        problems.append(failure)
    else:
        lines.append("  host starts and answers hello")
    if location.registry_key:
        from . import windows

        value = windows.read(location.registry_key)
        lines.append(f"  HKCU\\{location.registry_key} = {value}")
        if value != str(path):
            problems.append("the registry key does not point at this manifest")
    lines += [f"  PROBLEM: {p}" for p in problems]
    return not problems, lines
