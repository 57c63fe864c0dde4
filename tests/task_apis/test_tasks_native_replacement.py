"""Chromium ships Summarizer, Translator and LanguageDetector of its own; navllm's take their
place only while the user asks for it (the replaceNativePromptApi setting, as for LanguageModel).
Chromium then knows the task APIs' permissions policy features, so a cross-origin frame follows
its embedder's allow attribute."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from navllm.devtools.browsers import Browser, Chromium, Tab
from tests.task_apis.conftest import PAGE, add_pages
from tests.task_apis.test_tasks import CROSS_ORIGIN

NATIVE = ["Summarizer", "Translator", "LanguageDetector"]

REPORT = """
    const own = Object.fromEntries(ARGS[0].map((n) => [n, !Function.prototype.toString.call(window[n]).includes("[native code]")]));
    if (!Object.values(own).every(Boolean)) return {own};
    const s = await Summarizer.create();
    return {own, summary: await s.summarize("hi"), writer: typeof Writer};
"""


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory) -> Iterator[Browser]:
    running = Chromium(tmp_path_factory.mktemp("chromium-native-tasks"))  # with its own task APIs
    try:
        running.settings(echoEnabled=True)
        running.grant(site.origin())
        add_pages(site)
        yield running
    finally:
        running.close()


def _until(tab: Tab, url: str, want_own: bool) -> dict:
    """Reload until the page sees the wanted APIs: the background applies the setting
    asynchronously, and only to documents loaded afterwards."""
    deadline = time.monotonic() + 15
    while True:
        got = tab.goto(url).run(REPORT, NATIVE)
        if all(got["own"].values()) == want_own or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_replaces_the_browsers_task_apis_only_while_asked(browser, site):
    tab, url = browser.tab(), site.url(PAGE)
    assert _until(tab, url, False)["own"] == dict.fromkeys(NATIVE, False)
    browser.settings(replaceNativePromptApi=True)
    assert _until(tab, url, True) == {
        "own": dict.fromkeys(NATIVE, True),
        "summary": "Model not available in Chromium\nhi",
        "writer": "function",
    }
    browser.settings(replaceNativePromptApi=False)
    assert _until(tab, url, False)["own"] == dict.fromkeys(NATIVE, False)


@pytest.mark.parametrize("name", ["Summarizer", "Translator"])
def test_a_cross_origin_frame_follows_its_permission_policy(browser, site, name):
    browser.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"))
    browser.grant(site.origin("localhost"), top_origin=site.origin())
    browser.settings(replaceNativePromptApi=True)
    tab, url = browser.tab(), site.url(PAGE)
    assert all(_until(tab, url, True)["own"].values())
    options = {"sourceLanguage": "en", "targetLanguage": "es"} if name == "Translator" else {}
    feature = name.lower()
    # Created once in the top page (which has activation), the pair is "available" to the frame too.
    tab.run("await window[ARGS[0]].create(ARGS[1]); return null;", name, options)
    allowed = tab.run(
        CROSS_ORIGIN.replace('document.createElement("iframe");', f'document.createElement("iframe"); frame.allow = "{feature}";'),
        name,
        options,
    )
    denied = tab.goto(url).run(CROSS_ORIGIN, name, options)
    assert allowed == {"availability": "available", "create": "ok"}
    assert denied == {"availability": "unavailable", "create": "NotAllowedError"}
