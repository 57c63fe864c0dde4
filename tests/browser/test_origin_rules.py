"""Origin and frame rules in real Chromium and Firefox (T3–T5): frames that may never ask are
refused with NotAllowedError and no prompt window, even inside a site the user allowed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Inside the frame: the page API, with a deadline (an answer of any kind means the frame's
# channel to the bridge works).
PROBE = """<!doctype html><meta charset="utf-8"><script>
const report = (r) => parent.postMessage({ probe: r }, "*");
const api = !navigator.llm ? Promise.resolve("absent")
  : Promise.race([navigator.llm.createSession().then(() => "ok", (e) => e.name), new Promise((r) => setTimeout(() => r("no answer"), 5000))]);
api.then((page) => report({ page }));
</script>"""

# Load a frame and wait for the probe inside it to report.
FRAME = """
const [src, sandbox, hidden, srcdoc] = ARGS;
const frame = document.createElement("iframe");
if (sandbox) frame.sandbox = sandbox;
if (srcdoc) frame.srcdoc = srcdoc;
if (hidden) frame.style.cssText = "width:1px;height:1px;opacity:0;position:absolute";
const result = new Promise((resolve) => addEventListener("message", (e) => e.source === frame.contentWindow && resolve(e.data.probe)));
if (src) frame.src = src;
document.body.append(frame);
return await Promise.race([result, new Promise((r) => setTimeout(() => r({ timeout: true }), 15000))]);
"""

PENDING = """
const api = globalThis.browser ?? globalThis.chrome;
const prompts = (await api.storage.session.get("navllm.prompts"))["navllm.prompts"] ?? {};
const popups = (await api.windows.getAll({ windowTypes: ["popup"] })).length;
return { prompts: Object.keys(prompts).length, popups };
"""


@pytest.fixture(scope="module")
def setup(browser, site):
    browser.settings(echoEnabled=True, echoDelayMs=0)
    browser.grant(site.origin())  # the top-level site is allowed
    site.add("probe.html", PROBE)
    admin = browser.tab(f"{browser.extension_origin}/_test/admin.html")
    return browser, site, admin


def no_prompt(admin) -> None:
    assert admin.run(PENDING) == {"prompts": 0, "popups": 0}


def test_the_allowed_top_level_site_is_served(setup):
    browser, site, _ = setup
    tab = browser.tab(site.url())
    assert tab.run("return await navigator.llm.createSession().then(() => 'ok', (e) => e.name);") == "ok"
    assert tab.run(FRAME, "/probe.html", None, False) == {"page": "ok"}
    assert tab.run(FRAME, None, None, False, PROBE) == {"page": "ok"}  # srcdoc
    blank = """
      const frame = document.createElement("iframe");
      document.body.append(frame);
      return await frame.contentWindow.navigator.llm.createSession().then(() => "ok", (e) => e.name);
    """
    assert tab.run(blank) == "ok"  # the initial about:blank, used at once
    tab.close()


@pytest.mark.parametrize(
    ("label", "src", "sandbox", "hidden", "srcdoc"),
    [
        ("sandboxed", "/probe.html", "allow-scripts", False, None),
        ("sandboxed-srcdoc", None, "allow-scripts", False, PROBE),
        ("hidden-cross-origin", "CROSS", None, True, None),
        ("cross-origin", "CROSS", None, False, None),
        ("data-url", "data:text/html;base64,DATA", None, False, None),
    ],
)
def test_frames_that_may_not_ask_are_refused_without_a_prompt(setup, label, src, sandbox, hidden, srcdoc):
    import base64

    browser, site, admin = setup
    if src:
        src = src.replace("CROSS", site.url("probe.html", host="localhost")).replace("DATA", base64.b64encode(PROBE.encode()).decode())
    tab = browser.tab(site.url())
    result = tab.run(FRAME, src, sandbox, hidden, srcdoc)
    assert "timeout" not in result, label
    # The host refuses them (sandboxed frames included: their bridge answers). Content scripts
    # never run in data: frames, nor in Chromium's opaque srcdoc frames: no navigator.llm there.
    allowed = {"absent", "NotAllowedError"} if label in ("data-url", "sandboxed-srcdoc") else {"NotAllowedError"}
    assert result["page"] in allowed, (label, result)
    no_prompt(admin)
    tab.close()


def test_ineligible_top_level_origin_is_refused_without_a_prompt(setup):
    browser, site, admin = setup
    tab = browser.tab(site.url(host="127.0.0.2"))  # plain http, not loopback-by-name: never eligible
    assert tab.run("return await navigator.llm.createSession().then(() => 'ok', (e) => e.name);") == "NotAllowedError"
    assert tab.run("return await navigator.llm.availability();") == "unavailable"
    assert tab.run("return await (globalThis.LanguageModel ? LanguageModel.availability() : 'unavailable');") == "unavailable"
    assert tab.run(FRAME, site.url("probe.html", host="127.0.0.2"), None, False) == {"page": "NotAllowedError"}
    no_prompt(admin)
    tab.close()
