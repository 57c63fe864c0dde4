"""The side panel and popup in real Chromium against the real host: every section end to end."""

from __future__ import annotations

import contextlib
import json
import re
import time

import pytest
from fake_openai import MODEL, FakeOpenAI
from playwright.sync_api import expect
from ui_pages import POPUP

from navllm import __version__
from tests.convert.tiny_gguf import write as write_gguf

pytestmark = pytest.mark.browser

KEY = "sk-ui-Xq4Lm9Vr2Tt7Wp3Zs8Nc5"
PASSPHRASE = "correct horse battery staple"
PROMPT = """
const session = await navigator.llm.createSession();
return await session.generate({ prompt: ARGS[0] });
"""


def test_status_shows_the_host_and_what_needs_attention(panel):
    page = panel.open("status")
    expect(page.locator("#host-state")).to_have_text("Connected")
    expect(page.locator("#view dl")).to_contain_text(__version__)
    expect(page.locator("#checks")).to_contain_text("No local model installed yet")
    # The test browser's host is registered in its own profile, not a standard location.
    expect(page.locator("#registrations")).to_contain_text("Not registered in any browser's standard location")
    # The tabs follow the WAI-ARIA pattern: arrow keys move the selection and the focus.
    page.locator("#tab-status").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-models")).to_be_focused()
    expect(page.locator("#tab-models")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus is visible
    panel.ready()
    assert page.url.endswith("#models")


def test_about_says_what_is_stored_where(panel):
    page = panel.open("about")
    home = str(panel.browser.home)
    expect(page.locator("#privacy")).to_contain_text(f"{home}/config/settings.json")
    expect(page.locator("#licences")).to_contain_text("onnxruntime")


def test_import_a_gguf_with_progress_then_make_default_and_remove(panel, tmp_path):
    gguf = write_gguf(tmp_path / "tiny.gguf")
    page = panel.open("models")
    expect(page.locator("#model-list")).to_contain_text("No models yet")
    # Record every value the progress bar takes.
    page.evaluate("""() => {
      window.seen = [];
      const bar = document.querySelector('#pull-progress progress');
      new MutationObserver(() => window.seen.push(bar.value)).observe(bar, { attributes: true });
    }""")
    page.select_option("#add-model select", "file")
    page.get_by_label("Model", exact=True).fill(str(gguf))
    page.get_by_label("Name (optional)").fill("tiny")
    page.get_by_role("button", name="Add model").click()
    expect(page.locator("#notice")).to_contain_text("tiny is installed", timeout=120000)
    panel.ready()
    seen = page.evaluate("window.seen")
    assert any(0 < v < 1 for v in seen) and seen[-1] == 1, seen  # real intermediate progress
    item = page.locator('[data-model="tiny"]')
    expect(item).to_contain_text("Default for chat")  # the first chat model becomes the default
    assert panel.browser.admin("models.list")["defaults"] == {"chat": "tiny"}

    # A second copy, made default from the panel; then both removed with a confirming second press.
    panel.browser.admin("models.import", path=str(gguf), name="tiny-2")
    panel.open("models")
    page.get_by_role("button", name="Make tiny-2 the default").click()
    expect(page.locator('[data-model="tiny-2"]')).to_contain_text("Default for chat")
    for name in ("tiny", "tiny-2"):
        remove = page.locator(f'[data-model="{name}"] button.danger')
        remove.click()
        expect(remove).to_have_accessible_name(f"Really remove? Remove {name}")
        remove.click()
        expect(page.locator(f'[data-model="{name}"]')).to_have_count(0)
    assert panel.browser.admin("models.list")["models"] == []
    expect(page.locator("#disk-use")).to_contain_text("Models use 0 B")


def test_a_provider_from_the_panel_with_a_write_only_key(panel, site):
    browser = panel.browser
    with FakeOpenAI(key=KEY) as server:
        page = panel.open("providers")
        # No keychain here: the panel creates and unlocks navllm's vault first.
        vault = page.locator("#vault")
        expect(vault).to_contain_text("Locked")
        vault.get_by_label("Choose a vault passphrase").fill(PASSPHRASE)
        vault.get_by_label("Choose a vault passphrase").press("Enter")  # forms work from the keyboard
        expect(page.locator("#vault")).to_contain_text("Unlocked")

        form = page.locator("#add-provider")
        form.get_by_label("Service").select_option(label="Other OpenAI-compatible service")
        form.get_by_label("Short name").fill("fake")
        form.get_by_label("Address (base URL)").fill(server.base_url)
        form.get_by_label("Model").fill(MODEL)
        form.get_by_role("button", name="Add service").click()
        item = page.locator('[data-provider="fake"]')
        expect(item.locator("[data-key-state]")).to_have_text("No key set")
        expect(item).to_contain_text("Leaves this device")

        # Without a key the test fails, in words a user understands.
        item.get_by_role("button", name="Test fake").click()
        expect(item.locator("[data-test-result]")).to_have_class("badge bad", timeout=30000)
        expect(item.locator("[data-test-result]")).to_contain_text("rejected the API key")

        item.get_by_label("API key for fake").fill(KEY)
        item.get_by_role("button", name="Save key").click()
        expect(page.locator("#notice")).to_contain_text("can't be shown again")
        item = page.locator('[data-provider="fake"]')
        expect(item.locator("[data-key-state]")).to_contain_text("Key set on ")
        expect(item.get_by_label("API key for fake")).to_have_value("")

        # Test: one real request to the fake server, latency shown.
        item.get_by_role("button", name="Test fake").click()
        expect(item.locator("[data-test-result]")).to_contain_text("Works · ", timeout=30000)
        assert server.generations()[-1].headers["authorization"] == f"Bearer {KEY}"

        # Reorder: move it to the front of the chain (echo leads only while testing, outside the list).
        item.get_by_role("button", name="Move fake up").click()
        expect(page.locator("#provider-list > li").first).to_have_attribute("data-provider", "fake")
        assert browser.admin("providers.list")[0]["name"] == "fake"

        # The key is never shown again: not in the panel, its storage, nor any reply an extension page gets.
        panel.open("providers")
        seen = page.evaluate("""async () => [
          document.documentElement.outerHTML,
          [...document.querySelectorAll('input')].map((i) => i.value),
          await chrome.storage.local.get(null), await chrome.storage.session.get(null),
        ]""")
        replies = [browser.admin(t) for t in ("keys.status", "providers.list", "settings.get", "status", "vault.status")]
        # ... nor in anything a web page allowed to use the provider receives.
        browser.grant(site.origin(), providers=("fake",))
        tab = browser.tab(site.url())
        try:
            reply = tab.run(PROMPT, "hello")
            page_seen = tab.run("return document.documentElement.outerHTML + JSON.stringify(Object.keys(window))")
        finally:
            tab.close()
            browser.admin("grants.revoke", origin=site.origin())
        assert reply == "You said: hello"
        for blob in (json.dumps(seen), json.dumps(replies), page_seen):
            assert KEY not in blob

        # Removing the provider deletes its key too.
        remove = page.locator('[data-provider="fake"] .actions button.danger')
        remove.click()
        remove.click()
        expect(page.locator('[data-provider="fake"]')).to_have_count(0)
        assert browser.admin("keys.status") == []


def test_grant_a_site_see_usage_in_the_chart_and_revoke_from_the_popup(panel, site):
    browser, origin = panel.browser, site.origin()
    page = panel.open("sites")
    form = page.locator("#add-site")
    form.get_by_label("Site address").fill(site.url())
    form.get_by_role("button", name="Add").click()
    entry = page.locator(f'[data-origin="{origin}"]')
    expect(entry.locator("[data-state]")).to_have_text("Allowed")

    # A per-site quota from the editor reaches the host.
    entry.locator("summary").click()
    entry.get_by_label("Requests a minute").fill("7")
    entry.get_by_role("button", name="Save").click()
    expect(page.locator(f'[data-origin="{origin}"]')).to_contain_text("7 requests a minute")
    assert browser.admin("quotas.get")["sites"][origin]["requestsPerMinute"] == 7

    tab = browser.tab(site.url())
    try:
        assert tab.run(PROMPT, "count these words") is not None
    finally:
        tab.close()

    page = panel.open("usage")
    tokens = page.locator("#chart-tokens svg")
    expect(tokens).to_have_attribute(
        "aria-label", f"Tokens per day: {_total_tokens(browser, origin)} tokens over 7 days; {origin} {_total_tokens(browser, origin)}"
    )
    expect(page.locator("#chart-requests .legend")).to_contain_text(origin)
    assert page.locator("#chart-requests svg rect").count() >= 1
    expect(page.locator("#usage-table")).to_contain_text(origin)
    page.get_by_text("By provider").click()
    panel.ready()
    expect(page.locator("#chart-requests .legend")).to_contain_text("echo")
    page.get_by_text("By API").click()
    panel.ready()
    legend = page.locator("#chart-requests .legend")
    expect(legend).to_contain_text("Prompt API")
    expect(legend).to_contain_text("Sessions opened")
    expect(legend).not_to_contain_text("echo")
    expect(page.locator("#usage-table")).to_contain_text("Prompt API")
    page.get_by_text("30 days", exact=True).click()
    panel.ready()
    expect(page.locator("#chart-tokens svg")).to_have_attribute("aria-label", re.compile(r"^Tokens per day: .* over 30 days"))

    # Export downloads a real file.
    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    lines = info.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,ts,day,origin") and any(origin in line for line in lines[1:])

    # The popup for that site: allowed, used today; one click revokes.
    popup = browser.context.new_page()
    popup.goto(f"{browser.extension_origin}/{POPUP}?origin={origin}")
    expect(popup.locator("#state")).to_have_text("Allowed")
    today = browser.admin("usage.summary")["byOrigin"][origin]["today"]
    expect(popup.locator("#today")).to_have_text(f"Today: {today['requests']:,} requests, {today['tokens']:,} tokens.")
    popup.locator("#revoke").click()
    expect(popup.locator("#state")).to_have_text("Never asked")
    expect(popup.locator("#revoke")).to_be_hidden()
    popup.close()
    assert browser.admin("grants.list")["grants"] == []
    page = panel.open("sites")
    expect(page.locator(f'[data-origin="{origin}"]')).to_have_count(0)

    # History: turn text on, clear the log.
    page = panel.open("usage")
    page.get_by_label("Also keep the text of prompts and replies").check()
    expect(page.locator("#notice")).to_contain_text("will be kept")
    assert browser.admin("settings.get")["historyEnabled"] is True
    clear = page.locator("#history button.danger")
    clear.click()
    clear.click()
    expect(page.locator("#usage-table")).to_contain_text("Nothing recorded")
    assert browser.admin("usage.series", days=7) == []


def test_private_window_answers_are_kept_apart(panel):
    browser = panel.browser
    page = panel.open("sites")
    page.get_by_label("Show answers given in private windows").check()
    panel.ready()
    form = page.locator("#add-site")
    form.get_by_label("Site address").fill("https://private.example/page")
    form.get_by_label("Answer").select_option("denied")
    form.get_by_role("button", name="Add").click()
    expect(page.locator('[data-origin="https://private.example"] [data-state]')).to_have_text("Blocked")
    assert [g["origin"] for g in browser.admin("grants.list", incognito=True)["grants"]] == ["https://private.example"]
    assert "https://private.example" not in [g["origin"] for g in browser.admin("grants.list")["grants"]]
    page.locator('[data-origin="https://private.example"] .actions button.danger').click()
    page.locator('[data-origin="https://private.example"] .actions button.danger').click()
    expect(page.locator('[data-origin="https://private.example"]')).to_have_count(0)
    assert browser.admin("grants.list", incognito=True)["grants"] == []
    page.get_by_label("Show answers given in private windows").uncheck()
    panel.ready()


def test_an_embargo_is_shown_and_lifted(panel):
    browser, origin = panel.browser, "https://pushy.example"
    for _ in range(3):  # three closed prompts, as the prompt window reports them
        browser.admin("permission.decide", origin=origin, decision="dismiss")
    popup = browser.context.new_page()
    popup.goto(f"{browser.extension_origin}/{POPUP}?origin={origin}")
    expect(popup.locator("#state")).to_have_text("Blocked for now")
    popup.close()
    page = panel.open("sites")
    entry = page.locator(f'[data-origin="{origin}"]')
    expect(entry.locator("[data-state]")).to_have_text("Blocked for now")
    expect(entry).to_contain_text("blocked until")
    entry.get_by_role("button", name="Lift block").click()
    expect(page.locator("#notice")).to_contain_text(f"{origin} may ask again")
    assert browser.admin("grants.list")["embargoes"] == []


def test_host_errors_are_shown_in_plain_words(panel):
    page = panel.open("sites")
    form = page.locator("#add-site")
    form.get_by_label("Site address").fill("http://plain.example")
    form.get_by_role("button", name="Add").click()
    notice = page.locator("#notice")
    expect(notice).to_have_class("notice error")
    expect(notice).to_contain_text("That isn't allowed.")
    expect(notice).to_contain_text("only https: sites and http://localhost can")
    assert panel.browser.admin("grants.list")["grants"] == []


def _total_tokens(browser, origin) -> str:
    rows = [r for r in browser.admin("usage.series", days=7) if r["origin"] == origin]
    return f"{sum(r['inputTokens'] + r['outputTokens'] for r in rows):,}"


def test_the_popup_opens_the_real_side_panel(panel):
    browser = panel.browser
    popup = browser.context.new_page()
    popup.goto(f"{browser.extension_origin}/{POPUP}")
    expect(popup.locator("#state")).to_have_text("Not available")  # an extension page is no site
    with contextlib.suppress(Exception):
        popup.locator("#open-panel").click()  # a trusted click: sidePanel.open() needs the gesture
    cdp = browser.context.browser.new_browser_cdp_session()
    known = {p.url for p in browser.context.pages}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        targets = cdp.send("Target.getTargets")["targetInfos"]
        side = [t for t in targets if t["type"] == "page" and "/ui/panel/panel.html" in t["url"] and t["url"] not in known]
        if side:
            break
        time.sleep(0.1)
    assert side, "the side panel did not open"
    text = ""
    with SidePanel(cdp, side[0]["targetId"]) as other:
        while time.monotonic() < deadline and text != "Connected":
            text = other.evaluate("document.querySelector('#host-state')?.textContent ?? ''")
    assert text == "Connected"


def test_without_the_host_the_panel_shows_how_to_install_it(panel):
    """Runs last in this module: it unregisters the host from the browser profile."""
    browser = panel.browser
    (browser.tmp / "udd" / "NativeMessagingHosts" / "org.navllm.host.json").unlink()
    browser.kill_host()
    page = panel.open("sites")
    expect(page.locator("#view h2")).to_have_text("Finish installing navllm")
    expect(page.locator("#install-command")).to_have_text("python3 install.py")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#install-command")).to_be_visible()
    popup = browser.context.new_page()
    popup.goto(f"{browser.extension_origin}/{POPUP}?origin=https://example.com")
    expect(popup.locator("#message")).to_contain_text("host program isn't installed")
    popup.close()


class SidePanel:
    """Runtime.evaluate in the side panel, a target Playwright does not list, over the browser's CDP session."""

    def __init__(self, cdp, target_id: str):
        self.cdp, self.replies, self.n = cdp, {}, 0
        cdp.on("Target.receivedMessageFromTarget", self._receive)
        self.session = cdp.send("Target.attachToTarget", {"targetId": target_id, "flatten": False})["sessionId"]

    def _receive(self, event) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message

    def evaluate(self, expression: str):
        self.n += 1
        message = {"id": self.n, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": True}}
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session, "message": json.dumps(message)})
        deadline = time.monotonic() + 5
        while self.n not in self.replies:
            assert time.monotonic() < deadline, "no answer from the side panel"
            self.cdp.send("Target.getTargets")  # a round trip lets pending events arrive
        return self.replies.pop(self.n)["result"]["result"].get("value")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.cdp.send("Target.detachFromTarget", {"sessionId": self.session})
