"""HKCU registry keys that point Windows browsers at our manifests (imported only on Windows)."""

from __future__ import annotations

import sys
import winreg
from typing import cast

# Each function starts with a platform check that never fails (this module is imported only on
# Windows): it tells type checkers on other systems, where winreg's names do not exist, to skip it.


def read(key: str) -> str | None:
    if sys.platform != "win32":
        raise OSError("the registry exists only on Windows")
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
            value, _ = winreg.QueryValueEx(handle, "")
            return cast(str, value)  # a REG_SZ, as write() stores it
    except FileNotFoundError:
        return None


def write(key: str, manifest: str) -> bool:
    if sys.platform != "win32":
        raise OSError("the registry exists only on Windows")
    if read(key) == manifest:
        return False
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:
        winreg.SetValueEx(handle, "", 0, winreg.REG_SZ, manifest)
    return True


def delete(key: str, manifest: str) -> bool:
    """Remove ``key`` if it still points at ``manifest`` (another install may own it now)."""
    if sys.platform != "win32":
        raise OSError("the registry exists only on Windows")
    if read(key) != manifest:
        return False
    winreg.DeleteKey(winreg.HKEY_CURRENT_USER, key)
    return True
