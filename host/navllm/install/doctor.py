"""``navllm install --check``: what is registered where, whether the launcher starts and
answers hello, and which extension ids each manifest allows. ``navllm doctor``: which of the
user's files are damaged, and the repair that moves each aside before starting it afresh."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    hello = json.dumps(
        {
            "id": "check",
            "type": "hello",
            "caller": {"kind": "extension", "origin": "navllm-install-check"},
            "extensionVersion": __version__,
            "protocol": PROTOCOL_VERSION,
        }
    ).encode()
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


# -- the user's files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    key: str
    label: str
    path: Path
    check: Callable[[], object]  # raises DataError naming the file when it is damaged
    afresh: str  # what starting it afresh means, in the user's words
    reset: Callable[[Path, Path], None] = os.replace  # (file, backup): move aside, start afresh


def stored_files() -> list[Stored]:
    from .. import settings
    from ..models.store import REGISTRY, ModelStore, read_registry
    from ..policy import db
    from ..secrets.store import metadata_path, read_metadata
    from ..secrets.vault import Vault

    vault = Vault()
    keys = metadata_path()
    models = ModelStore()
    return [
        Stored("settings", "Settings", settings.settings_path(), settings.read, "settings go back to their defaults"),
        Stored(
            "policy",
            "Site permissions, quotas and usage",
            db.db_path(),
            db.check,
            "every site asks again, quotas go back to the defaults and the usage log starts empty",
            _move_database,
        ),
        Stored("keys", "Where API keys are kept", keys, lambda: read_metadata(keys), "set your API keys again"),
        Stored("vault", "Key vault", vault.path, vault.check, "the vault is created anew at the next unlock; set the keys it held again"),
        Stored(
            "models",
            "Model list",
            models.root / REGISTRY,
            lambda: read_registry(models.root / REGISTRY),
            "the installed model folders are listed again (as recovered models)",
            lambda _, backup: models.reset_registry(backup),
        ),
    ]


def _move_database(path: Path, backup: Path) -> None:
    """Move the database with its WAL, so the copy still opens with every committed change."""
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{backup}{suffix}")
    os.replace(path, backup)


def storage_report() -> list[dict[str, Any]]:
    """Every file navllm keeps, whether it is damaged, and what repairing it does."""
    from ..protocol.errors import ErrorName, NavError

    report = []
    for stored in stored_files():
        try:
            stored.check()
            problem = None
        except NavError as err:
            if err.name != ErrorName.DATA:
                raise
            problem = err.message
        report.append(
            {
                "file": stored.key,
                "label": stored.label,
                "path": str(stored.path),
                "damaged": problem is not None,
                "message": problem,
                "repair": f"moves it aside and starts afresh: {stored.afresh}",
            }
        )
    return report


def repair(keys: Collection[str] | None = None) -> list[dict[str, str]]:
    """Move each damaged file (of ``keys``, else all) aside to ``NAME.damaged-<time>`` and start it
    afresh; healthy files are never touched. Returns what was moved where."""
    damaged = {entry["file"] for entry in storage_report() if entry["damaged"]}
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    moved = []
    for stored in stored_files():
        if stored.key in damaged and (keys is None or stored.key in keys):
            backup = stored.path.with_name(f"{stored.path.name}.damaged-{stamp}")
            n = 1
            while backup.exists():
                n += 1
                backup = stored.path.with_name(f"{stored.path.name}.damaged-{stamp}-{n}")
            stored.reset(stored.path, backup)
            moved.append({"file": stored.key, "path": str(stored.path), "backup": str(backup)})
    return moved


def sweep_temps() -> list[Path]:
    """Remove what interrupted atomic writes left next to the user's files."""
    from ..atomic import sweep_temps as sweep
    from ..paths import config_dir, data_dir
    from ..secrets.vault import vault_dir

    return [tmp for folder in (config_dir(), data_dir(), vault_dir()) for tmp in sweep(folder)]
