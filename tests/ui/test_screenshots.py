"""Screenshots of every section at side-panel width (360×800), light and dark, saved under
artifacts/screenshots/ for review; the themes must really differ, nothing may overflow the
panel, and every control must have a name a screen reader can read. The usage filters are
checked on the same seeded data."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from ui_pages import POPUP, SCREENSHOTS, Panel

from tests.convert.tiny_gguf import write as write_gguf

pytestmark = pytest.mark.browser

SECTIONS = ("status", "models", "providers", "sites", "usage", "about")
BACKGROUND = {"light": "rgb(246, 246, 249)", "dark": "rgb(19, 19, 23)"}
# Controls a screen reader could not name: no label, no aria-label, no text.
UNNAMED = """() => [...document.querySelectorAll("input, select, button, summary, [role=tab]")]
  .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.textContent.trim()))
  .map((el) => el.outerHTML)"""
PROMPT = "const s = await navigator.llm.createSession(); return await s.generate({ prompt: ARGS[0] });"


@pytest.fixture(scope="module")
def seeded(chromium_vault, site, tmp_path_factory):
    """Something to look at: a model, a remote provider, two sites with usage, one blocked site."""
    browser = chromium_vault
    browser.admin("models.import", path=str(write_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")), name="tiny-chat")
    browser.admin("providers.add", provider={"name": "openai", "kind": "openai", "preset": "openai"})
    for host, prompts in (("127.0.0.1", ("hello there", "how are you today")), ("localhost", ("one more question",))):
        browser.grant(site.origin(host))
        tab = browser.tab(site.url(host=host))
        for text in prompts:
            tab.run(PROMPT, text)
        tab.close()
    browser.admin("grants.set", origin="https://blocked.example", state="denied")
    return browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_section_at_side_panel_width(seeded, site, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel = Panel(seeded)
    page = panel.page
    page.emulate_media(color_scheme=scheme)
    try:
        for section in SECTIONS:
            panel.open(section)
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND[scheme]
            # Nothing overflows the panel's width.
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, section
            assert page.evaluate(UNNAMED) == [], section
            page.screenshot(path=str(SCREENSHOTS / f"panel-{section}-{scheme}.png"), full_page=True)
        page.set_viewport_size({"width": 320, "height": 240})
        page.goto(f"{seeded.extension_origin}/{POPUP}?origin={site.origin()}")
        page.locator("#state").filter(has_text="Allowed").wait_for()
        page.screenshot(path=str(SCREENSHOTS / f"popup-{scheme}.png"))
    finally:
        page.close()
    assert not panel.errors, panel.errors


def test_usage_filters_narrow_the_chart_and_the_table(seeded, site):
    panel = Panel(seeded)
    page = panel.page
    try:
        panel.open("usage")
        expect(page.locator("#chart-tokens .legend li")).to_have_count(2)
        page.locator("#view select").first.select_option(site.origin("localhost"))
        panel.ready()
        expect(page.locator("#chart-tokens .legend li")).to_have_text([site.origin("localhost")])
        cells = page.locator("#usage-table tbody tr td:nth-child(2)").all_text_contents()
        assert cells and set(cells) == {site.origin("localhost")}
        expect(page.locator("#history button.danger")).to_have_text(f"Clear {site.origin('localhost')}")
        page.locator("#view select").first.select_option("")
        panel.ready()
    finally:
        page.close()
    assert not panel.errors, panel.errors
