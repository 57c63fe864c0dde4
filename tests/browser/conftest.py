"""End-to-end tests in real Chromium and Firefox ESR (fixtures: tests/support/browsers.py)."""

from tests.support.browsers import browser, chromium, firefox, site  # noqa: F401 - pytest fixtures
