"""Origin and frame rules in real Chromium and Firefox (T3–T5): frames that may never ask are
refused with NotAllowedError and no prompt window, even inside a site the user allowed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Inside the frame: a raw `create` through the bridge (what the host answers), then the page API.
PROBE = """<!doctype html><meta charset="utf-8"><script>
const report = (r) => parent.postMessage({ probe: r }, "*");
const raw = new Promise((resolve) => {
  addEventListener("message", (e) => {
    if (e.source === window && e.data && e.data.dir === "res" && e.data.id === 900001 && e.data.reply.type !== "progress") resolve(e.data.reply);
  });
  window.postMessage({ navllm: 1, dir: "req", id: 900001, type: "create", body: {} }, "*");
  setTimeout(() => resolve(null), 5000);
});
const api = !navigator.llm ? Promise.resolve("absent")
  : Promise.race([navigator.llm.createSession().then(() => "ok", (e) => e.name), new Promise((r) => setTimeout(() => r("no answer"), 5000))]);
Promise.all([raw, api]).then(([reply, page]) => report({ host: reply && (reply.error ? reply.error.name : reply.type), page }));
</script>"""

# Load a frame and wait for the probe inside it to report.
FRAME = """
const [src, sandbox, hidden] = ARGS;
const frame = document.createElement("iframe");
if (sandbox) frame.sandbox = sandbox;
if (hidden) frame.style.cssText = "width:1px;height:1px;opacity:0;position:absolute";
const result = new Promise((resolve) => addEventListener("message", (e) => e.source === frame.contentWindow && resolve(e.data.probe)));
frame.src = src;
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
    browser, site, admin = setup
    tab = browser.tab(site.url())
    assert tab.run("return await navigator.llm.createSession().then(() => 'ok', (e) => e.name);") == "ok"
    same_origin = tab.run(FRAME, "/probe.html", None, False)
    assert same_origin == {"host": "done", "page": "ok"}
    tab.close()


@pytest.mark.parametrize(
    ("label", "src", "sandbox", "hidden"),
    [
        ("sandboxed", "/probe.html", "allow-scripts", False),
        ("hidden-cross-origin", "CROSS", None, True),
        ("cross-origin", "CROSS", None, False),
        ("data-url", "data:text/html;base64,DATA", None, False),
    ],
)
def test_frames_that_may_not_ask_are_refused_without_a_prompt(setup, label, src, sandbox, hidden):
    import base64

    browser, site, admin = setup
    src = src.replace("CROSS", site.url("probe.html", host="localhost")).replace("DATA", base64.b64encode(PROBE.encode()).decode())
    tab = browser.tab(site.url())
    result = tab.run(FRAME, src, sandbox, hidden)
    assert "timeout" not in result, label
    # The host refuses whatever reaches it; frames where no bridge answers never reach it.
    assert result["host"] in ("NotAllowedError", None), (label, result)
    # The page API fails too, with the same name (or has no navigator.llm where no script runs).
    assert result["page"] in ("NotAllowedError", "absent"), (label, result)
    if label != "data-url":  # content scripts never run in data: frames, so nothing is there to answer
        assert result["host"] == "NotAllowedError", (label, result)
    no_prompt(admin)
    tab.close()


def test_ineligible_top_level_origin_is_refused_without_a_prompt(setup):
    browser, site, admin = setup
    tab = browser.tab(site.url(host="127.0.0.2"))  # plain http, not loopback-by-name: never eligible
    assert tab.run("return await navigator.llm.createSession().then(() => 'ok', (e) => e.name);") == "NotAllowedError"
    assert tab.run("return await navigator.llm.availability();") == "unavailable"
    assert tab.run("return await (globalThis.LanguageModel ? LanguageModel.availability() : 'unavailable');") == "unavailable"
    assert tab.run(FRAME, site.url("probe.html", host="127.0.0.2"), None, False)["host"] == "NotAllowedError"
    no_prompt(admin)
    tab.close()
