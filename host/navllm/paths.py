"""Where navllm keeps its files. ``NAVLLM_HOME`` puts everything under one folder (tests, portable installs)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "navllm"


def _home() -> Path | None:
    home = os.environ.get("NAVLLM_HOME")
    return Path(home) if home else None


def _private(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def data_dir() -> Path:
    """Models, the usage database, the vault."""
    if home := _home():
        return _private(home / "data")
    import platformdirs

    return _private(Path(platformdirs.user_data_dir(APP, appauthor=False)))


def config_dir() -> Path:
    """Settings and the provider chain."""
    if home := _home():
        return _private(home / "config")
    import platformdirs

    return _private(Path(platformdirs.user_config_dir(APP, appauthor=False)))


def log_dir() -> Path:
    if home := _home():
        return _private(home / "logs")
    import platformdirs

    return _private(Path(platformdirs.user_log_dir(APP, appauthor=False)))
