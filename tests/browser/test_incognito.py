"""Incognito windows in real Chromium: the host keys decisions by ``caller.incognito`` (set by the
background from ``sender.tab.incognito``), so a normal-window grant does not serve a private
window, a private-window decision works there, and it is forgotten when the last private window
closes (the background sends ``incognito.ended``).

The extension is allowed in incognito through the profile's Preferences (``allow_incognito``).
Playwright's persistent context does not list incognito pages: they are driven over a
browser-level CDP session (``Target.attachToTarget`` + ``Target.sendMessageToTarget``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from navllm.devtools.browsers import ADMIN_PAGE, Chromium, _wrap
from tests.support.prompt_window import OUTCOME, PROMPT, click, open_prompt

pytestmark = pytest.mark.browser

CREATE = "return await navigator.llm.createSession().then(() => 'ok', (e) => e.name);"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[Chromium]:
    running = Chromium(tmp_path_factory.mktemp("chromium"), allow_incognito=True)
    try:
        running.settings(echoEnabled=True, echoDelayMs=0)
        yield running
    finally:
        running.close()


class PrivatePage:
    """A page in an incognito window, driven over CDP (it is not in ``context.pages``)."""

    def __init__(self, cdp, target_id: str):
        self.cdp = cdp
        self.replies: dict[int, dict] = {}
        self.next_id = 0
        cdp.on("Target.receivedMessageFromTarget", self._received)
        self.session = cdp.send("Target.attachToTarget", {"targetId": target_id, "flatten": False})["sessionId"]

    def _received(self, event: dict) -> None:
        if event.get("sessionId") == self.session:
            message = json.loads(event["message"])
            if "id" in message:
                self.replies[message["id"]] = message

    def _call(self, method: str, params: dict, timeout: float = 20.0) -> dict:
        self.next_id += 1
        n = self.next_id
        message = json.dumps({"id": n, "method": method, "params": params})
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session, "message": message})
        until = time.monotonic() + timeout
        while n not in self.replies:
            if time.monotonic() > until:
                raise TimeoutError(f"no reply to {method}")
            self.cdp.send("Browser.getVersion")  # lets Playwright dispatch the events that arrived
            time.sleep(0.02)
        reply = self.replies.pop(n)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def run(self, body: str, *args):
        expression = f"({_wrap(body)})({json.dumps(list(args))})"
        result = self._call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        assert "exceptionDetails" not in result, result
        value = result["result"].get("value")
        assert not (isinstance(value, dict) and "__error" in value), value
        return value


def open_private(chromium, url: str) -> tuple[int, PrivatePage]:
    """Open an incognito window at ``url`` from the extension's page; its window id and its page."""
    chromium.admin("grants.list")  # opens the extension page the window is created from
    window = chromium._admin.run(
        "const w = await chrome.windows.create({ incognito: true, url: ARGS[0] }); return [w.id, w.incognito];", url
    )
    assert window[1] is True
    cdp = chromium.context.browser.new_browser_cdp_session()
    for _ in range(200):
        targets = cdp.send("Target.getTargets")["targetInfos"]
        normal = {t["browserContextId"] for t in targets if t["url"].endswith(ADMIN_PAGE)}
        found = [t for t in targets if t["type"] == "page" and t["url"] == url and t["browserContextId"] not in normal]
        if found:
            page = PrivatePage(cdp, found[0]["targetId"])
            for _ in range(200):  # the page has loaded and the extension's scripts have run
                if page.run("return document.readyState === 'complete' && typeof navigator.llm === 'object';"):
                    return window[0], page
                time.sleep(0.05)
            raise AssertionError("the incognito page did not load with navigator.llm")
        time.sleep(0.05)
    raise AssertionError("the incognito page was not found")


def close_private(chromium, window_id: int) -> None:
    chromium._admin.run("await chrome.windows.remove(ARGS[0]); return null;", window_id)


def prompts(chromium) -> list:
    return [p for p in chromium.context.pages if PROMPT in p.url]


def granted(chromium, incognito: bool) -> list[str]:
    return [g["origin"] for g in chromium.admin("grants.list", incognito=incognito)["grants"]]


def assert_private_forgotten(chromium) -> None:
    """The host drops private decisions shortly after the last private window closes."""
    for _ in range(100):
        if granted(chromium, True) == []:
            return
        time.sleep(0.05)
    assert granted(chromium, True) == []


def test_incognito_decisions_are_kept_apart_and_forgotten(chromium, site):
    origin = site.origin()
    chromium.grant(origin)
    normal = chromium.tab(site.url())
    assert normal.run(CREATE) == "ok"
    assert origin in granted(chromium, False)
    assert granted(chromium, True) == []

    # (1) The normal-window grant does not serve a private window: its first call is asked.
    window, page = open_private(chromium, site.url())
    prompt, (slot,) = open_prompt(chromium, page)
    assert origin in prompt.inner_text("main")
    assert page.run(OUTCOME, slot, 0) is None  # waiting for the user, not served

    # (2) Allow on every visit, answered for the private window, serves it (and not the other way).
    click(prompt, "always")
    assert page.run(OUTCOME, slot, 10000) == "ok"
    assert page.run(CREATE) == "ok"
    assert granted(chromium, True) == [origin]
    chromium.admin("grants.revoke", origin=origin)  # the normal grant goes; the private one stays
    assert granted(chromium, True) == [origin]
    assert page.run(CREATE) == "ok"

    # ... and is forgotten once the last private window closes.
    close_private(chromium, window)
    assert_private_forgotten(chromium)

    window, page = open_private(chromium, site.url())
    prompt, (slot,) = open_prompt(chromium, page)
    click(prompt, "deny")
    assert page.run(OUTCOME, slot, 10000) == "NotAllowedError"
    close_private(chromium, window)
    for p in prompts(chromium):
        p.close()
    normal.close()


def test_private_grants_made_from_the_panel_are_forgotten_too(chromium, site):
    origin = site.origin()
    window, page = open_private(chromium, site.url())
    chromium.admin("grants.set", origin=origin, incognito=True, state="granted", providers=["echo"])
    assert page.run(CREATE) == "ok"  # served without a prompt: no prompt decision was involved
    close_private(chromium, window)
    assert_private_forgotten(chromium)
