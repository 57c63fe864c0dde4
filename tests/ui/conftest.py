"""Fixtures for the settings UI tests: one Chromium per module (keys in navllm's vault, the echo
backend on) with the panel open as a tab at side-panel width; the providers' fake OpenAI server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ui_pages import Panel

from tests.support.browsers import Chromium, firefox, site  # noqa: F401 - firefox and site are pytest fixtures, for this directory

# The fake OpenAI server lives with the provider tests and imports its siblings by bare name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))


@pytest.fixture(scope="module")
def chromium_vault(tmp_path_factory):
    """Chromium whose host sees no OS keychain, so keys go to navllm's vault (unlocked from the panel)."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        env.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        browser = Chromium(tmp_path_factory.mktemp("chromium"))
    try:
        browser.settings(echoEnabled=True, echoDelayMs=0)
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def panel(chromium_vault):
    running = Panel(chromium_vault)
    yield running
    running.page.close()
    assert not running.errors, running.errors  # no script error or CSP violation on any page
