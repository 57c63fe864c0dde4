"""Page scripts for driving the permission prompt window: start createSession calls that wait for
the user's answer, then read how each one ended (``tab.run(START)`` / ``tab.run(OUTCOME, slot, wait_ms)``)."""

import time

PROMPT = "ui/prompt/prompt.html"

# Starts a createSession call without awaiting it; returns its slot in window.outcomes.
START = """
window.outcomes ??= [];
const n = window.outcomes.length;
window.outcomes.push(null);
navigator.llm.createSession().then(() => "ok", (e) => e.name).then((r) => (window.outcomes[n] = r));
return n;
"""
# The outcome of a slot ("ok" or an error name), waiting up to waitMs; null while it is still pending.
OUTCOME = """
const [n, waitMs] = ARGS;
const until = Date.now() + waitMs;
while (window.outcomes[n] === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
return window.outcomes[n];
"""


def open_prompt(chromium, tab, count: int = 1) -> tuple[object, list[int]]:
    """Start ``count`` createSession calls in ``tab`` (anything with ``run``); return the one prompt
    window they open (a Playwright page of the Chromium profile) and their slots."""
    with chromium.context.expect_page(lambda p: PROMPT in p.url, timeout=15000) as info:
        slots = [tab.run(START) for _ in range(count)]
    page = info.value
    page.wait_for_load_state()
    return page, slots


def click(page, decision: str) -> None:
    """Click a decision once its button has armed; the prompt window then closes itself."""
    page.wait_for_selector(f"[data-decision={decision}]:not([disabled])", timeout=5000)
    with page.expect_event("close", timeout=10000):
        page.click(f"[data-decision={decision}]")


def wait_for_window(firefox, known: set[str], path: str = PROMPT) -> str:
    """The handle of a new Firefox window (not in ``known``) showing ``path``; switched to it."""
    client = firefox.client
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for handle in set(client.window_handles) - known:
            client.switch_to_window(handle)
            if path in client.get_url():
                return handle
        time.sleep(0.1)
    raise AssertionError(f"no window with {path} opened")
