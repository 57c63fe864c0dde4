"""Prompt API tests in real Chromium and Firefox (browsers and site: tests/support/browsers.py).

One browser per test module and browser kind. By default the host runs on the echo backend
(with a short delay so that calls can be aborted while in flight); a module that sets
``LOCAL_MODEL = True`` gets the real default model instead. The test origins are granted up
front, as the user would in the prompt. Chromium's own Prompt API is switched off here (as in
builds without it), so the page sees navllm's; replacing it is tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from navllm.devtools.browsers import Browser, Chromium, Firefox, Tab
from tests.local.conftest import smollm2_store  # noqa: F401 - the converted default model, once per session
from tests.support import browsers as support

PAGES = Path(__file__).resolve().parent / "pages"
ECHO_DELAY_MS = 150
PAGE = "prompt-api/index.html"

# The session's static site (tests/support/browsers.py), a fixture for this directory; the fixtures below take it.
site = support.site


def add_pages(site) -> None:
    """The test page (with the helpers inlined) and the frame page, on every origin of the site."""
    helpers = (PAGES / "helpers.js").read_text()
    index = (PAGES / "index.html").read_text().replace('<script src="helpers.js"></script>', f"<script>\n{helpers}</script>")
    site.add(PAGE, index)
    site.add("prompt-api/frame.html", (PAGES / "frame.html").read_text())


def open_browser(kind: str, tmp: Path) -> Browser:
    return Chromium(tmp, extra_args=("--disable-features=AIPromptAPI",)) if kind == "chromium" else Firefox(tmp)


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def browser(request, site, tmp_path_factory) -> Iterator[Browser]:
    """A browser with the extension, its host on echo (or the real model), the test origins granted."""
    running = open_browser(request.param, tmp_path_factory.mktemp(request.param))
    try:
        if getattr(request.module, "LOCAL_MODEL", False):
            (running.home / "data").mkdir(parents=True, exist_ok=True)
            (running.home / "data" / "models").symlink_to(request.getfixturevalue("smollm2_store"), target_is_directory=True)
        else:
            running.settings(echoEnabled=True, echoDelayMs=ECHO_DELAY_MS)
        for host in ("127.0.0.1", "localhost"):
            running.grant(site.origin(host))
        add_pages(site)
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def tab(browser) -> Tab:
    return browser.tab()


@pytest.fixture
def page(tab, site) -> Tab:
    """The test page, freshly loaded."""
    return tab.goto(site.url(PAGE))
