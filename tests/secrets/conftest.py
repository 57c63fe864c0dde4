"""Fixtures for key store tests: a real Secret Service on a private bus, and no access to the user's own."""

from __future__ import annotations

import pytest

from tests.support.secret_service import missing_tools, running_secret_service


@pytest.fixture(autouse=True)
def no_os_keychain(monkeypatch, tmp_path):
    """Only a private bus a test starts may be used, never the developer's own keychain."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def secret_service(tmp_path, monkeypatch):
    """An unlocked gnome-keyring on a private session bus, set as this test's session bus."""
    if missing := missing_tools():
        pytest.skip(f"a real Secret Service needs {', '.join(missing)} (apt-get install gnome-keyring dbus-daemon dbus-bin)")
    with running_secret_service(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
