"""Task API tests (Summarizer, Writer, Rewriter, Proofreader, Translator, LanguageDetector) in
real Chromium and Firefox, on the echo backend, as tests/prompt_api does for LanguageModel.

One browser per test module and browser kind; the host runs on echo with a short delay so that
calls can be aborted while in flight, and the test origins are granted up front. Chromium's own
task APIs (and its Prompt API) are switched off, as in builds without them, so pages see navllm's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from navllm.devtools.browsers import Browser, Chromium, Firefox, Tab
from tests.support import browsers as support

PAGES = Path(__file__).resolve().parent / "pages"
ECHO_DELAY_MS = 150
PAGE = "task-apis/index.html"
FRAME = "task-apis/frame.html"
# Chromium's features for its own Prompt API and task APIs.
NATIVE_FEATURES = "AIPromptAPI,AISummarizationAPI,AIWriterAPI,AIRewriterAPI,AIProofreadingAPI,TranslationAPI,LanguageDetectionAPI"

# The session's static site (tests/support/browsers.py), a fixture for this directory.
site = support.site


def add_pages(site) -> None:
    """The test page (helpers inlined) and the frame page, on every origin of the site."""
    helpers = (PAGES / "helpers.js").read_text()
    index = (PAGES / "index.html").read_text().replace('<script src="helpers.js"></script>', f"<script>\n{helpers}</script>")
    site.add(PAGE, index)
    site.add(FRAME, (PAGES / "frame.html").read_text())


def open_browser(kind: str, tmp: Path) -> Browser:
    return Chromium(tmp, extra_args=(f"--disable-features={NATIVE_FEATURES}",)) if kind == "chromium" else Firefox(tmp)


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def browser(request, site, tmp_path_factory) -> Iterator[Browser]:
    """A browser with the extension, its host on echo, the test origins granted."""
    running = open_browser(request.param, tmp_path_factory.mktemp(request.param))
    try:
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
    """The test page, freshly loaded (no user activation yet in Firefox)."""
    return tab.goto(site.url(PAGE))


def activate(page: Tab) -> None:
    """A real click on the page's button: the page gets sticky and transient user activation."""
    browser = page.browser
    if isinstance(browser, Chromium):
        page.handle.click("#activate")
    else:
        assert isinstance(browser, Firefox)
        browser._focus(page)
        browser.client.find_element("css selector", "#activate").click()
