"""Pick the OS keychain, from an allow-list only.

``keyring`` picks whatever backend ranks highest, and a stray ``keyrings.alt`` install makes
that a base64 "plaintext" file. We name the trusted backends per platform instead, refuse any
other configured one without importing it, and return None (use the vault) when none works.
"""

from __future__ import annotations

import configparser
import logging
import os
import sys
from typing import Any

log = logging.getLogger(__name__)

SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
KWALLET = "keyring.backends.kwallet.DBusKeyring"
MACOS = "keyring.backends.macOS.Keyring"
WINDOWS = "keyring.backends.Windows.WinVaultKeyring"
CHAINER = "keyring.backends.chainer.ChainerBackend"

# Tried in this order on each platform; anything else (fail, null, keyrings.alt, cryptfile) is refused.
PLATFORM_BACKENDS = {"darwin": (MACOS,), "win32": (WINDOWS,)}
FREEDESKTOP_BACKENDS = (SECRET_SERVICE, KWALLET)
TRUSTED = frozenset({SECRET_SERVICE, KWALLET, MACOS, WINDOWS})


def qualified_name(backend: Any) -> str:
    cls = backend if isinstance(backend, type) else type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_trusted(backend: Any) -> bool:
    """True for an allow-listed class, or a chainer whose first (preferred) backend is one."""
    name = qualified_name(backend)
    if name == CHAINER:
        chain = list(getattr(backend, "backends", []))
        return bool(chain) and qualified_name(chain[0]) in TRUSTED
    return name in TRUSTED


def configured_backend_name() -> str | None:
    """The backend the user forced through ``PYTHON_KEYRING_BACKEND`` or keyring's config file."""
    if name := os.environ.get("PYTHON_KEYRING_BACKEND"):
        return name.strip()
    from keyring.util import platform_

    parser = configparser.RawConfigParser()
    try:
        parser.read(platform_.config_root() / "keyringrc.cfg", encoding="utf-8")
        return parser.get("backend", "default-keyring").strip() or None
    except (configparser.Error, OSError):
        return None


def _load(name: str) -> Any | None:
    """Instantiate a trusted backend if it is usable here (its ``priority`` raises when not)."""
    import importlib

    module, _, cls_name = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), cls_name)
        cls.priority  # noqa: B018 - keyring's viability check
        return cls()
    except Exception as exc:  # any failure means "not available here"
        log.info("keyring backend %s is not available: %s", name, exc)
        return None


def os_keychain() -> Any | None:
    """The OS keychain backend to use, or None when only the vault is safe."""
    forced = configured_backend_name()
    if forced is not None:
        if forced not in TRUSTED | {CHAINER}:  # refused by name, so its module is never imported
            log.warning("refusing keyring backend %s: only the OS keychain is trusted with keys; using the vault", forced)
            return None
        backend = _load(forced)
        if backend is not None and not is_trusted(backend):
            log.warning("refusing keyring backend %s: its first backend is not an OS keychain; using the vault", forced)
            return None
        return backend.backends[0] if backend is not None and forced == CHAINER else backend
    for name in PLATFORM_BACKENDS.get(sys.platform, FREEDESKTOP_BACKENDS):
        backend = _load(name)
        if backend is not None:
            return backend
    return None


def backend_label(backend: Any) -> str:
    """A short name for status displays."""
    return {SECRET_SERVICE: "secret-service", KWALLET: "kwallet", MACOS: "macos-keychain", WINDOWS: "windows-credential-locker"}.get(
        qualified_name(backend), qualified_name(backend)
    )
