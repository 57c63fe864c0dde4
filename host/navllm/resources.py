"""Where the files navllm ships beside its code are: the browser extension and the templates
of the native-messaging host manifests.

An installed wheel carries them as package data in ``navllm/_assets/`` (``setup.py`` copies the
repository's top-level ``extension/`` and ``manifest/`` folders there at build time). A source
checkout (an editable install, or ``PYTHONPATH=host``) has no ``_assets``: they are read from the
checkout itself, so there is only ever one copy to edit. Every lookup goes through here.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

from .protocol.errors import ErrorName, NavError

MANIFEST_TEMPLATES = ("chrome.json.in", "firefox.json.in")


@cache
def assets() -> Path:
    """The folder holding ``extension/`` and ``manifest/``."""
    package = importlib.resources.files("navllm")
    shipped = package / "_assets"
    if shipped.is_dir():
        if not isinstance(shipped, Path):  # pragma: no cover - a zipped install; browsers need real files
            raise NavError(
                ErrorName.NOT_FOUND, f"navllm's files are inside an archive ({shipped}); install navllm unpacked (pip and pipx do)"
            )
        return shipped
    if isinstance(package, Path):
        checkout = package.parent.parent  # host/navllm -> the repository
        if (checkout / "extension" / "manifest.json").is_file() and (checkout / "manifest").is_dir():
            return checkout
    raise NavError(
        ErrorName.NOT_FOUND,
        f"navllm's extension and manifest templates are missing from {package}; reinstall navllm (pip install --force-reinstall navllm)",
    )


def extension_dir() -> Path:
    """The unpacked extension, as the browsers load it."""
    path = assets() / "extension"
    if not (path / "manifest.json").is_file():
        raise NavError(ErrorName.NOT_FOUND, f"the navllm extension is missing its manifest.json ({path}); reinstall navllm")
    return path


def manifest_template(name: str) -> Path:
    """One of ``MANIFEST_TEMPLATES``."""
    if name not in MANIFEST_TEMPLATES:
        raise ValueError(f"unknown manifest template {name!r}")
    path = assets() / "manifest" / name
    if not path.is_file():
        raise NavError(ErrorName.NOT_FOUND, f"manifest template {path} is missing; reinstall navllm")
    return path
