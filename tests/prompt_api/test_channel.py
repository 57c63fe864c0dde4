"""The page's channel to navllm in real Chromium and Firefox: private to navllm, bounded per
frame, and no page can wedge it for another origin."""

from __future__ import annotations

import pytest

from tests.prompt_api.conftest import PAGE

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"


def test_a_catch_all_listener_sees_nothing_and_cannot_loop(page):
    # The pattern that once looped: answer every message by asking navllm again.
    got = page.run("""
        let seen = 0, calls = 0;
        addEventListener("message", () => {
            seen++;
            if (calls < 1000) { calls++; LanguageModel.availability().catch(() => {}); }
        });
        const s = await LanguageModel.create();
        await s.prompt("one");
        await readAll(s.promptStreaming("two"));
        await LanguageModel.availability();
        await new Promise((r) => setTimeout(r, 300));
        return {seen, calls};
    """)
    assert got == {"seen": 0, "calls": 0}


def test_requests_in_flight_per_frame_are_capped(page):
    got = page.run("""
        const s = await LanguageModel.create();
        const stop = new AbortController();
        const calls = Array.from({length: 70}, (_, i) => s.prompt("p" + i, {signal: stop.signal}).then(
            () => null,
            (e) => ({name: e.name, quota: e.quota, requested: e.requested, frame: e.message.includes("in this frame"),
                     isQuota: e instanceof QuotaExceededError, isDom: e instanceof DOMException})));
        // The ones over the cap fail at once; the rest are still waiting for the (slow) echo.
        await new Promise((r) => setTimeout(r, 100));
        stop.abort();
        const outcomes = await Promise.all(calls);
        // Slots free up as the host confirms the cancellations.
        let after;
        for (let i = 0; i < 100 && after !== "available"; i++) {
            after = await LanguageModel.availability().catch((e) => e.name);
            if (after !== "available") await new Promise((r) => setTimeout(r, 100));
        }
        const quota = outcomes.filter((o) => o && o.name === "QuotaExceededError");
        return {capped: quota.filter((o) => o.frame), host: quota.filter((o) => !o.frame), after};
    """)
    over = {"name": "QuotaExceededError", "quota": 64, "requested": 65, "frame": True, "isQuota": True, "isDom": True}
    assert got["capped"] == [over] * 6
    # The host's own per-origin bound, if it is lower, surfaces the same way.
    assert all(o["isQuota"] and o["isDom"] and o["quota"] < 64 for o in got["host"]), got["host"]
    assert got["after"] == "available"


DEEP = """
    let schema = {type: "object", properties: {}};
    for (let i = 0; i < 1000; i++) schema = {type: "object", properties: {a: schema}};
    const expectedInputs = [{type: "text", languages: ["en"]}];
    const tools = [{name: "deep", description: "nested 1,000 levels", inputSchema: schema, async execute() { return ""; }}];
    window.attack = Promise.allSettled([
        LanguageModel.availability({expectedInputs}),
        LanguageModel.create({expectedInputs, expectedOutputs: [{type: "tool-call"}], tools}),
    ]);
"""

ANSWERS_IN_TIME = """
    const late = new Promise((r) => setTimeout(() => r("no answer within 10 s"), 10000));
    return await Promise.race([late, (async () => {
        const s = await LanguageModel.create();
        return [await LanguageModel.availability(), await s.prompt("still here")];
    })()]);
"""


@pytest.mark.timeout(120)
def test_a_page_cannot_wedge_navllm_for_another_origin(browser, site):
    # Runs last in this module: whatever the attack leaves behind stays with this browser.
    browser.admin("grants.revoke", origin=site.origin("localhost"))
    attacker = browser.tab(site.url(PAGE, host="localhost"))
    victim = browser.tab(site.url(PAGE))
    try:
        attacker.run(DEEP)
        assert victim.run(ANSWERS_IN_TIME) == ["available", PREAMBLE + "still here"]
    finally:
        attacker.close()
        victim.close()
