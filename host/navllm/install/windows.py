"""HKCU registry keys that point Windows browsers at our manifests (imported only on Windows)."""

from __future__ import annotations

import winreg


def read(key: str) -> str | None:
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
            value, _ = winreg.QueryValueEx(handle, "")
            return value
    except FileNotFoundError:
        return None


def write(key: str, manifest: str) -> bool:
    if read(key) == manifest:
        return False
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:
        winreg.SetValueEx(handle, "", 0, winreg.REG_SZ, manifest)
    return True


def delete(key: str, manifest: str) -> bool:
    """Remove ``key`` if it still points at ``manifest`` (another install may own it now)."""
    if read(key) != manifest:
        return False
    winreg.DeleteKey(winreg.HKEY_CURRENT_USER, key)
    return True
