"""A real Secret Service for tests: a private D-Bus session bus with gnome-keyring, unlocked.

Fixtures for a conftest or test module: ``no_os_keychain`` (autouse wherever it is imported) and
``secret_service``; ``skip_without_tools()`` for fixtures that start the service themselves.

Recipe and pitfalls in security.md §5: HOME must exist (else the daemon dies and the first
call hangs), and we wait until ``org.freedesktop.secrets`` has an owner (else D-Bus
activates a second, locked daemon).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SECRETS_NAME = "org.freedesktop.secrets"
NEEDED = ("dbus-daemon", "dbus-send", "gnome-keyring-daemon")


def missing_tools() -> list[str]:
    return [tool for tool in NEEDED if shutil.which(tool) is None]


def skip_without_tools() -> None:
    if missing := missing_tools():
        pytest.skip(f"a real Secret Service needs {', '.join(missing)} (apt-get install gnome-keyring dbus-daemon dbus-bin)")


def _has_owner(address: str, env: dict[str, str]) -> bool:
    probe = subprocess.run(
        [
            "dbus-send",
            f"--bus={address}",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{SECRETS_NAME}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=5,
    )
    return "boolean true" in probe.stdout


@contextmanager
def running_secret_service(workdir: Path) -> Iterator[str]:
    """Yield the address of a private session bus whose unlocked login keyring serves secrets."""
    home = workdir / "keyring-home"
    home.mkdir(parents=True)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"), "XDG_RUNTIME_DIR": str(workdir)}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=10,
    )
    address, pid = bus.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        daemon = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="test-login-password",
            capture_output=True,
            text=True,
            env=env,
            timeout=10,
        )
        assert daemon.returncode == 0, daemon.stderr
        deadline = time.monotonic() + 5
        while not _has_owner(address, env):
            assert time.monotonic() < deadline, "the Secret Service did not come up on the private bus"
            time.sleep(0.05)
        yield address
    finally:
        os.kill(int(pid), signal.SIGTERM)  # gnome-keyring exits with its bus


@pytest.fixture(autouse=True)
def no_os_keychain(monkeypatch, tmp_path):
    """Never touch the developer's own keychain: only a private bus a test starts may be used."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def secret_service(tmp_path, monkeypatch) -> Iterator[str]:
    """An unlocked gnome-keyring on a private session bus, set as this test's session bus."""
    skip_without_tools()
    with running_secret_service(tmp_path) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
