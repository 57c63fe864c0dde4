"""The settings UI in real Firefox ESR: every section renders, the popup opens the real sidebar,
and a site allowed in the permission prompt window appears in the sidebar and is revoked there."""

from __future__ import annotations

import time

import pytest
from ui_pages import PANEL, POPUP

from tests.support.prompt_window import wait_for_window

pytestmark = pytest.mark.browser

PROMPT_PAGE = "ui/prompt/prompt.html"
SECTIONS = {"status": "Status", "models": "Models", "providers": "Providers", "sites": "Sites", "usage": "Usage", "about": "About"}
# Wait (in the page) until `select` in the sidebar's document has `text`; returns what it saw.
SIDEBAR_TEXT = """
const [select, text] = ARGS;
const until = Date.now() + 15000;
let seen = "";
while (Date.now() < until) {
  const [view] = browser.extension.getViews({ type: "sidebar" });
  seen = view?.document.querySelector(select)?.textContent ?? "";
  if (seen.includes(text)) break;
  await new Promise((r) => setTimeout(r, 50));
}
return seen;
"""
SIDEBAR_CLICK = """
const [select] = ARGS;
const [view] = browser.extension.getViews({ type: "sidebar" });
view.document.querySelector(select).click();
"""
DRAWN = """
const until = Date.now() + 15000;
while (Date.now() < until && document.querySelector("#view")?.getAttribute("aria-busy") !== "false") await new Promise((r) => setTimeout(r, 50));
return [document.querySelector("#view h2")?.textContent, document.querySelector("#view .notice.error")?.textContent ?? null];
"""


@pytest.fixture(scope="module", autouse=True)
def echo(firefox):
    firefox.settings(echoEnabled=True, echoDelayMs=0)


def test_every_section_renders_in_firefox(firefox):
    tab = firefox.tab()
    for section, title in SECTIONS.items():
        tab.goto("about:blank")
        tab.goto(f"{firefox.extension_origin}/{PANEL}#{section}")
        assert tab.run(DRAWN) == [title, None]
    tab.close()


def test_prompt_then_sidebar_shows_the_site_and_revokes_it(firefox, site):
    client, origin = firefox.client, site.origin()
    # The popup's button opens the sidebar (a Marionette click counts as the user's gesture).
    firefox.tab(f"{firefox.extension_origin}/{POPUP}")
    client.find_element("css selector", "#open-panel").click()
    time.sleep(0.3)  # the popup page closes itself once the sidebar is open
    client.switch_to_window(client.window_handles[0])
    assert firefox.tab(f"{firefox.extension_origin}/{POPUP}?origin={origin}").run(SIDEBAR_TEXT, "#host-state", "Connected") == "Connected"

    # A page asks; the user allows it on every visit in the prompt window.
    page = firefox.tab(site.url())
    known = set(client.window_handles)
    page.run("window.result = navigator.llm.createSession().then(() => 'ok', (e) => e.name);")
    prompt = wait_for_window(firefox, known, PROMPT_PAGE)
    time.sleep(0.8)  # the buttons arm after 500 ms of being shown
    client.find_element("css selector", "[data-decision=always]").click()  # the window then closes itself
    client.switch_to_window(page.handle)
    assert page.run("return await window.result;") == "ok"
    assert prompt not in client.window_handles

    checker = firefox.tab(f"{firefox.extension_origin}/{POPUP}?origin={origin}")
    checker.run(SIDEBAR_CLICK, "#tab-sites")
    assert "Allowed" in checker.run(SIDEBAR_TEXT, f'[data-origin="{origin}"] [data-state]', "Allowed")
    # Revoke asks for a second press, then the host forgets the site.
    checker.run(SIDEBAR_CLICK, f'[data-origin="{origin}"] .actions button.danger')
    checker.run(SIDEBAR_CLICK, f'[data-origin="{origin}"] .actions button.danger')
    assert "will have to ask again" in checker.run(SIDEBAR_TEXT, "#notice", "will have to ask again")
    assert firefox.admin("grants.list")["grants"] == []
    for tab in (checker, page):
        tab.close()
