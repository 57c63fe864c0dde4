"""Real browsers with the navllm extension, for end-to-end tests (the driver is ``navllm.browsers``).

Use it from a conftest: ``from tests.support.browsers import site, chromium, firefox, browser``.

- ``site`` (session): ``navllm.browsers.StaticSite`` serving ``tests/support/pages`` on 127.0.0.1
  (also as ``localhost`` and ``127.0.0.2``) plus pages a test adds with ``site.add(path, html)``.
- ``chromium`` / ``firefox`` (module): one browser per test module, with the extension loaded and
  the host registered BY OUR INSTALLER for that profile, with its own ``NAVLLM_HOME``
  (``browser.home``). ``browser`` runs each test of a module in Chromium, then in Firefox.
- ``browser.admin(type, **body)``, ``browser.grant(origin)``, ``browser.settings(**values)``:
  requests from an extension page, as the settings UI sends them.
- ``browser.tab(url).run(js, *args)``: the body of an async function, evaluated in the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from navllm.browsers import ADMIN_PAGE, LAUNCHERS, AdminError, Browser, Chromium, Firefox, PageError, StaticSite, Tab

PAGES = Path(__file__).resolve().parent / "pages"

__all__ = ["ADMIN_PAGE", "AdminError", "Browser", "Chromium", "Firefox", "PageError", "StaticSite", "Tab", "browser", "chromium", "firefox", "site"]


@pytest.fixture(scope="session")
def site() -> Iterator[StaticSite]:
    running = StaticSite(PAGES)
    yield running
    running.close()


def launch(kind: str, tmp_path_factory) -> Iterator[Browser]:
    running = LAUNCHERS[kind](tmp_path_factory.mktemp(kind))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[Browser]:
    yield from launch("chromium", tmp_path_factory)


@pytest.fixture(scope="module")
def firefox(tmp_path_factory) -> Iterator[Browser]:
    yield from launch("firefox", tmp_path_factory)


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def browser(request, tmp_path_factory) -> Iterator[Browser]:
    """Each test of the module runs in Chromium, then in Firefox (one browser at a time)."""
    yield from launch(request.param, tmp_path_factory)
