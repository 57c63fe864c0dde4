"""A long origin cannot push the permission window's decisions out of sight (issue 11, item 8):
in Chromium and Firefox, the real prompt window, shown an ask for a ~240-character origin,
names the registrable domain first and big, keeps the origin on one line cut from the left,
and keeps the buttons and the "leaves this device" warning inside the window."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from navllm.policy.sites import site as site_of
from navllm.protocol.replies import PermissionAsk
from tests.support.browsers import Chromium, Tab
from tests.support.prompt_window import START, open_prompt, wait_for_window

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# A look-alike of a well-known site first, the real one last.
ORIGIN = (
    "https://"
    + ".".join(["login.accounts.google.com", "secure-sign-in-" + "0" * 48, "session-" + "7" * 55, "a" * 63, "evil.example"])
    + ":8443"
)
TOP = "https://" + ".".join(["online.banking.example.com", "b" * 63, "c" * 63, "d" * 63, "news.example.co.uk"])
# Headless Chromium sizes every window to Playwright's viewport: emulate what the 460×420 popup
# permissions.js opens shows inside its title and address bars.
POPUP_INSIDE = {"width": 460, "height": 350}

MEASURE = """
const rect = (el) => el.getBoundingClientRect();
const inside = (el) => { const r = rect(el); return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; };
const warning = [...document.querySelectorAll("strong")].find((el) => el.textContent === "leaves this device");
const line = (id) => {
  const el = document.getElementById(id);
  const text = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
  const char = (i) => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1); return r.getBoundingClientRect(); };
  const all = document.createRange();
  all.selectNodeContents(el);
  const box = rect(el);
  return {
    text: el.textContent,
    title: el.title,
    lines: new Set([...all.getClientRects()].map((r) => Math.round(r.top))).size,
    endShown: char(text.length - 1).right <= box.right + 1 && char(text.length - 1).left >= box.left,
    startCut: char(0).right <= box.left,
    fontSize: parseFloat(getComputedStyle(el).fontSize),
  };
};
const site = document.getElementById("site");
return {
  viewport: [innerWidth, innerHeight],
  buttons: [...document.querySelectorAll("button[data-decision]")].map(inside),
  warning: Boolean(warning) && inside(warning),
  site: site && { text: site.textContent, inside: inside(site), above: rect(site).bottom <= rect(document.getElementById("origin")).top, fontSize: parseFloat(getComputedStyle(site).fontSize) },
  topSite: document.getElementById("top-site")?.textContent,
  origin: line("origin"),
  topOrigin: line("top-origin"),
};
"""


def ask() -> dict:
    """The ask the host would send for ORIGIN framed in TOP, with two online services."""
    return PermissionAsk(
        origin=ORIGIN,
        site=site_of(ORIGIN),
        top_origin=TOP,
        top_site=site_of(TOP),
        incognito=True,
        providers=["local", "openai", "work"],
        remote=True,
        remote_providers=["openai", "work"],
    ).wire()


def open_real_prompt(browser, site) -> Tab:
    """The prompt window permissions.js opens for the test site, as a Tab of ``browser``."""
    page = browser.tab(site.url())
    if isinstance(browser, Chromium):
        window, _ = open_prompt(browser, page)
        window.set_viewport_size(POPUP_INSIDE)
        return Tab(browser, window)
    known = set(browser.client.window_handles)
    page.run(START)
    return Tab(browser, wait_for_window(browser, known))


def screenshot(browser, prompt: Tab) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"prompt-long-origin-{browser.kind}.png"
    if isinstance(browser, Chromium):
        prompt.handle.screenshot(path=str(path))
    else:
        path.write_bytes(browser.client.screenshot(format="binary", full=False))


def test_a_long_origin_keeps_the_decision_in_view(browser, site):
    assert len(ORIGIN) >= 240 and len(TOP) >= 240
    browser.settings(echoEnabled=True, echoDelayMs=0)
    prompt = open_real_prompt(browser, site)
    try:
        url = urlsplit(prompt.run("return location.href;"))
        key = parse_qs(url.query)["key"][0]
        prompt.goto(url._replace(query=urlencode({"key": key, "ask": json.dumps(ask())})).geturl())
        shown = prompt.run(MEASURE)
        screenshot(browser, prompt)
    finally:
        prompt.close()  # a dismissal of the test site's real prompt
        browser.admin("grants.lift", origin=site.origin())

    assert shown["viewport"][0] <= 460 and shown["viewport"][1] <= 420  # the popup's size, not a tab's
    assert shown["buttons"] == [True, True, True]
    assert shown["warning"]
    named = shown["site"]
    assert (named["text"], named["inside"], named["above"]) == ("evil.example", True, True)
    assert named["fontSize"] > shown["origin"]["fontSize"]
    assert shown["topSite"] == "example.co.uk"
    for line, full in ((shown["origin"], ORIGIN), (shown["topOrigin"], TOP)):
        assert (line["text"], line["title"], line["lines"]) == (full, full, 1)
        assert line["endShown"] and line["startCut"]  # cut from the left: the domain's end stays visible
