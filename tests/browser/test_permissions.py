"""The permission prompt end to end in real Chromium: a new site's first call opens the prompt
window; clicks in its first 500 ms do nothing; Allow once / Allow on every visit / Deny across
reloads, tabs and host restarts; revocation; queued requests; 3 dismissals → embargo.
(Origin and frame rules in both browsers: test_origin_rules.py. Incognito windows:
test_incognito.py.)"""

from __future__ import annotations

import time

import pytest

from tests.support.browsers import AdminError
from tests.support.prompt_window import OUTCOME, PROMPT, START, click, open_prompt

pytestmark = pytest.mark.browser

CREATE = "return await navigator.llm.createSession().then(() => 'ok', (e) => e.name);"


@pytest.fixture(scope="module", autouse=True)
def echo(chromium):
    chromium.settings(echoEnabled=True, echoDelayMs=0)


@pytest.fixture(autouse=True)
def fresh(chromium, site):
    """Every test starts with the test site undecided."""
    for host in ("127.0.0.1", "localhost"):
        chromium.admin("grants.revoke", origin=site.origin(host))
        chromium.admin("grants.lift", origin=site.origin(host))
    yield
    for page in prompts(chromium):
        page.close()


def prompts(chromium) -> list:
    return [p for p in chromium.context.pages if PROMPT in p.url]


def restart_host(chromium) -> None:
    """Kill the host; the next request starts a new one (wait until the background has reconnected)."""
    chromium.kill_host()
    for _ in range(20):
        try:
            chromium.admin("grants.list")
            return
        except AdminError:
            time.sleep(0.1)
    raise AssertionError("the background did not reconnect to a new host")


def outcome(tab, slot: int, wait_ms: int = 10000):
    return tab.run(OUTCOME, slot, wait_ms)


def answer(chromium, tab, decision: str):
    """One createSession call in ``tab`` whose prompt the user answers with ``decision``: its outcome."""
    page, (slot,) = open_prompt(chromium, tab)
    click(page, decision)
    return outcome(tab, slot)


def test_first_call_opens_the_prompt_and_early_clicks_do_nothing(chromium, site):
    tab = chromium.tab(site.url())
    page, (slot,) = open_prompt(chromium, tab)
    # A real mouse click and Enter press the moment a fresh prompt document is shown: not armed yet.
    box = page.locator("[data-decision=always]").bounding_box()
    page.reload(wait_until="domcontentloaded")  # the 500 ms start with each prompt document
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.press("Enter")
    assert page.evaluate("performance.now()") < 500  # both landed within the first 500 ms
    time.sleep(0.7)
    assert not page.is_closed()

    text = page.inner_text("main")
    assert page.inner_text("#site") == "127.0.0.1"  # the host names the site: here the IP itself
    assert site.origin() in text
    assert "Nothing leaves this device" in text
    assert page.evaluate("document.activeElement === document.body")  # no default focus
    assert outcome(tab, slot, 0) is None  # still waiting for the user
    assert chromium.admin("grants.list")["grants"] == []

    click(page, "once")
    assert outcome(tab, slot) == "ok"
    assert tab.run(CREATE) == "ok"  # the same document keeps its once-grant

    tab.goto(site.url())  # a new document: asked again
    assert answer(chromium, tab, "deny") == "NotAllowedError"
    tab.close()


def test_allow_on_every_visit_holds_across_reloads_tabs_and_host_restarts(chromium, site):
    tab = chromium.tab(site.url())
    assert answer(chromium, tab, "always") == "ok"

    tab.goto(site.url())
    other = chromium.tab(site.url())
    assert tab.run(CREATE) == other.run(CREATE) == "ok"
    restart_host(chromium)
    assert other.run(CREATE) == "ok"
    assert prompts(chromium) == []

    # Revoking in settings takes effect on the next call.
    chromium.admin("grants.revoke", origin=site.origin())
    assert answer(chromium, other, "deny") == "NotAllowedError"
    tab.goto(site.url())
    assert tab.run(CREATE) == "NotAllowedError"  # denial persists, no new prompt
    restart_host(chromium)
    assert other.run(CREATE) == "NotAllowedError"
    assert prompts(chromium) == []
    tab.close()
    other.close()


def test_one_prompt_per_origin_and_every_queued_request_gets_the_answer(chromium, site):
    tab = chromium.tab(site.url())
    page, slots = open_prompt(chromium, tab, count=3)
    second_tab = chromium.tab(site.url())
    later = second_tab.run(START)
    time.sleep(0.5)
    assert len(prompts(chromium)) == 1
    click(page, "once")
    assert [outcome(tab, s) for s in slots] == ["ok"] * 3
    assert outcome(second_tab, later) == "ok"  # its document got the same answer
    tab.close()
    second_tab.close()


def test_three_closed_prompts_embargo_the_site(chromium, site):
    tab = chromium.tab(site.url(host="localhost"))
    for _ in range(3):
        page, (slot,) = open_prompt(chromium, tab)
        page.close()  # closing the window is a dismissal
        assert outcome(tab, slot) == "NotAllowedError"
    assert tab.run(CREATE) == "NotAllowedError"
    time.sleep(0.3)
    assert prompts(chromium) == []
    embargoes = chromium.admin("grants.list")["embargoes"]
    assert [e["origin"] for e in embargoes] == [site.origin("localhost")]

    chromium.admin("grants.lift", origin=site.origin("localhost"))
    assert answer(chromium, tab, "once") == "ok"
    tab.close()


def test_a_prompt_outlives_a_service_worker_restart(chromium, site):
    tab = chromium.tab(site.url())
    page, (slot,) = open_prompt(chromium, tab)
    cdp = chromium.context.new_cdp_session(page)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")
    assert outcome(tab, slot) == "OperationError"  # the page's request died with the worker
    click(page, "always")  # the answer wakes a new worker, which finds the prompt it saved
    assert tab.run(CREATE) == "ok"
    assert [g["origin"] for g in chromium.admin("grants.list")["grants"]] == [site.origin()]
    tab.close()


FRAME_PROBE = """<!doctype html><meta charset="utf-8"><script>
navigator.llm.createSession().then(() => "ok", (e) => e.name).then((r) => parent.postMessage({ probe: r }, "*"));
</script>"""
EMBED = """
const frame = document.createElement("iframe");
window.framed = new Promise((resolve) => addEventListener("message", (e) => e.source === frame.contentWindow && resolve(e.data.probe)));
frame.src = ARGS[0];
document.body.append(frame);
return 1;
"""


def test_a_delegated_frame_is_asked_about_naming_both_origins(chromium, site):
    site.add("frame-probe.html", FRAME_PROBE)
    chromium.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"))
    tab = chromium.tab(site.url())
    try:
        with chromium.context.expect_page(lambda p: PROMPT in p.url, timeout=15000) as info:
            tab.run(EMBED, site.url("frame-probe.html", host="localhost"))
        page = info.value
        page.wait_for_load_state()
        assert (page.inner_text("#site"), page.inner_text("#origin")) == ("localhost", site.origin("localhost"))
        assert (page.inner_text("#top-site"), page.inner_text("#top-origin")) == ("127.0.0.1", site.origin())
        assert page.is_visible("#frame")
        click(page, "once")
        assert tab.run("return await window.framed;") == "ok"
        # The frame's answer is for that embedding only: the same origin on its own is asked again.
        alone = chromium.tab(site.url(host="localhost"))
        page, (slot,) = open_prompt(chromium, alone)
        assert not page.is_visible("#frame")
        click(page, "deny")
        assert outcome(alone, slot) == "NotAllowedError"
        alone.close()
    finally:
        chromium.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"), allowed=False)
        chromium.admin("grants.revoke", origin=site.origin("localhost"))
        tab.close()
