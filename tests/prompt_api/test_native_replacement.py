"""Chromium ships its own LanguageModel; navllm's takes its place only while the user asks for it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from navllm.devtools.browsers import Browser, Chromium, Tab
from tests.prompt_api.conftest import PAGE, add_pages

REPORT = """
    const own = !Function.prototype.toString.call(LanguageModel).includes("[native code]");
    if (!own) return {own};
    const s = await LanguageModel.create();
    return {own, reply: await s.prompt("hi"), call: typeof LanguageModelToolSuccess};
"""


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory) -> Iterator[Browser]:
    running = Chromium(tmp_path_factory.mktemp("chromium-native"))  # with its own Prompt API
    try:
        running.settings(echoEnabled=True)
        running.grant(site.origin())
        add_pages(site)
        yield running
    finally:
        running.close()


def _until(tab: Tab, url: str, want_own: bool) -> dict:
    """Reload until the page sees the wanted LanguageModel: the background applies the
    setting asynchronously, and only to documents loaded afterwards."""
    deadline = time.monotonic() + 15
    while True:
        got = tab.goto(url).run(REPORT)
        if got["own"] == want_own or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_replaces_the_browsers_prompt_api_only_while_asked(browser, site):
    tab, url = browser.tab(), site.url(PAGE)
    assert _until(tab, url, False) == {"own": False}
    browser.settings(replaceNativePromptApi=True)
    assert _until(tab, url, True) == {
        "own": True,
        "reply": "On-device model is not available in Chromium, this API is just echoing back the input:\nhi",
        "call": "function",
    }
    browser.settings(replaceNativePromptApi=False)
    assert _until(tab, url, False) == {"own": False}


def test_a_cross_origin_frame_follows_its_permission_policy(browser, site):
    from tests.prompt_api.test_language_model import FRAME

    browser.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"))
    browser.grant(site.origin("localhost"), top_origin=site.origin())
    browser.settings(replaceNativePromptApi=True)
    tab, url = browser.tab(), site.url(PAGE)
    assert _until(tab, url, True)["own"] is True
    allowed = tab.run(FRAME, "language-model")
    denied = tab.goto(url).run(FRAME, "")
    assert allowed == {"policy": {"knows": True, "allows": True}, "availability": "available", "create": "ok"}
    assert denied == {"policy": {"knows": True, "allows": False}, "availability": "unavailable", "create": "NotAllowedError"}


def test_a_same_origin_blank_frame_gets_the_replacement_too(browser, site):
    browser.settings(replaceNativePromptApi=True)
    tab, url = browser.tab(), site.url(PAGE)
    assert _until(tab, url, True)["own"] is True
    got = tab.run("""
        const frame = document.createElement("iframe");
        document.body.append(frame);
        const own = !Function.prototype.toString.call(frame.contentWindow.LanguageModel).includes("[native code]");
        const s = await frame.contentWindow.LanguageModel.create();
        return {own, reply: await s.prompt("in frame")};
    """)
    assert got == {"own": True, "reply": "On-device model is not available in Chromium, this API is just echoing back the input:\nin frame"}
