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


def log_to(name: str) -> Path:
    """Send this process's log records to ``name`` in the log folder, readable by the user alone."""
    import logging

    path = log_dir() / name
    handler = logging.FileHandler(path, encoding="utf-8")
    os.chmod(path, 0o600)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("NAVLLM_LOG_LEVEL", "INFO"), handlers=[handler])
    return path
