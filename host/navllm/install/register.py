"""Install and uninstall: the launcher once, then a manifest (and on Windows a registry key)
for each chosen browser. Every step is idempotent and reported as one line."""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_atomic
from ..paths import data_dir
from ..protocol.errors import ErrorName, NavError
from . import launcher, manifests
from .locations import BROWSERS, OS, Location, all_locations, location, user_data_dir_location


def current_os() -> OS:
    if sys.platform == "win32":
        return "windows"
    return "darwin" if sys.platform == "darwin" else "linux"


@dataclass(frozen=True)
class Choice:
    """What the user asked for on the command line."""

    browser: str | None = None
    user_data_dir: Path | None = None
    firefox_home: Path | None = None
    home: Path | None = None  # a custom NAVLLM_HOME the launcher must carry


def chosen(choice: Choice, os_name: OS, *, found_only: bool) -> list[Location]:
    """The locations to act on: explicit profile folders, one browser, or every browser found."""
    if choice.browser is not None and choice.browser not in BROWSERS:
        raise NavError(ErrorName.TYPE, f"unknown browser {choice.browser!r}; choose one of {', '.join(BROWSERS)}")
    data = Path(data_dir())
    picked: list[Location] = []
    if choice.user_data_dir is not None:
        try:
            picked.append(user_data_dir_location(choice.user_data_dir.resolve(), os_name, choice.browser or "chromium"))
        except ValueError as exc:
            raise NavError(ErrorName.TYPE, str(exc)) from None
    if choice.firefox_home is not None:
        picked.append(location("firefox", os_name, choice.firefox_home.resolve(), {}, navllm_data=data))
    if picked:
        return picked
    home = Path.home()
    if choice.browser is not None:
        return [location(choice.browser, os_name, home, os.environ, navllm_data=data)]
    every = all_locations(os_name, home, os.environ, navllm_data=data)
    return [loc for loc in every if Path(loc.profile).is_dir()] if found_only else every


def _safe_dir(path: Path) -> None:
    """Create ``path`` (0755) and refuse a folder other users could write to: they could repoint the host."""
    path.mkdir(parents=True, exist_ok=True, mode=0o755)
    mode = path.stat().st_mode
    if os.name != "nt" and mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise NavError(ErrorName.NOT_ALLOWED, f"{path} is writable by other users; fix it with: chmod go-w {path}")


def _write(path: Path, text: str, mode: int) -> bool:
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data and (path.stat().st_mode & 0o777) == mode:
        return False
    _safe_dir(path.parent)
    write_atomic(path, data, mode=mode)
    return True


def install(choice: Choice, os_name: OS | None = None, python: str | None = None) -> list[str]:
    os_name = os_name or current_os()
    targets = chosen(choice, os_name, found_only=True)
    if not targets:
        raise NavError(ErrorName.NOT_FOUND, f"no supported browser found; name one with --browser ({', '.join(BROWSERS)})")
    report = []
    script = Path(launcher.launcher_path(os_name, Path(data_dir())))
    _safe_dir(script.parent)
    text = launcher.render(os_name, python or sys.executable, str(choice.home.resolve()) if choice.home else None)
    report.append(f"{'wrote' if launcher.write(script, text) else 'unchanged'} launcher {script}")
    for target in targets:
        path = Path(target.manifest)
        changed = _write(path, manifests.render(target.family, script), 0o644)
        report.append(f"{'wrote' if changed else 'unchanged'} {target.browser} manifest {path}")
        if target.registry_key:
            from . import windows

            changed = windows.write(target.registry_key, str(path))
            report.append(f"{'registered' if changed else 'unchanged'} HKCU\\{target.registry_key}")
    return report


def uninstall(choice: Choice, os_name: OS | None = None) -> list[str]:
    os_name = os_name or current_os()
    report = []
    for target in chosen(choice, os_name, found_only=False):
        path = Path(target.manifest)
        if path.exists():
            path.unlink()
            report.append(f"removed {target.browser} manifest {path}")
        if target.registry_key:
            from . import windows

            if windows.delete(target.registry_key, str(path)):
                report.append(f"removed HKCU\\{target.registry_key}")
    script = Path(launcher.launcher_path(os_name, Path(data_dir())))
    everything = choice.browser is None and choice.user_data_dir is None and choice.firefox_home is None
    if everything and script.exists():  # a partial uninstall leaves it for the other browsers
        script.unlink()
        report.append(f"removed launcher {script}")
    return report or ["nothing to remove"]
