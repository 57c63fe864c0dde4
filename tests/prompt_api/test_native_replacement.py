"""Chromium ships its own LanguageModel; navllm's takes its place only while the user asks for it."""

from __future__ import annotations

import time

import pytest

from tests.prompt_api.conftest import BrowserPage, _chromium, _prepare_home

REPORT = """
    const own = !Function.prototype.toString.call(LanguageModel).includes("[native code]");
    if (!own) return {own};
    const s = await LanguageModel.create();
    return {own, reply: await s.prompt("hi"), call: typeof LanguageModelToolSuccess};
"""

SET = """
    const port = chrome.runtime.connect({name: "navllm-admin"});
    const reply = new Promise((resolve) => port.onMessage.addListener((m) => { if (m.id === 1) resolve(m.reply); }));
    port.postMessage({id: 1, type: "settings.set", body: {values: {replaceNativePromptApi: %s}}});
    return await reply;
"""


@pytest.fixture(scope="module")
def browser(pages_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chromium-native")
    home = tmp / "navllm-home"
    _prepare_home(home, pages_server, {"echoEnabled": True, "replaceNativePromptApi": True})
    yield from _chromium(tmp, home, f"http://localhost:{pages_server}", keep_native_api=True)


def _until(page: BrowserPage, want_own: bool) -> dict:
    """Reload until the page sees the wanted LanguageModel: the background applies the
    setting asynchronously, and only to documents loaded afterwards."""
    deadline = time.monotonic() + 15
    while True:
        page.goto()
        got = page.run(REPORT)
        if got["own"] == want_own or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_replaces_the_browsers_prompt_api_only_while_asked(browser):
    got = _until(browser, True)
    assert got == {"own": True, "reply": "On-device model is not available in Chromium, this API is just echoing back the input:\nhi",
                   "call": "function"}
    assert browser.admin(SET % "false")["type"] == "done"
    assert _until(browser, False) == {"own": False}
    assert browser.admin(SET % "true")["type"] == "done"
    assert _until(browser, True)["own"] is True
