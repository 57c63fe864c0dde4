"""A cross-origin frame's embedder delegates features to it with <iframe allow="…">, as the
permissions policy has it, in real Chromium and Firefox: the extension reads the attribute from the
embedding document (the frame's own scripts cannot), telling apart two frames of one URL."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Inside each frame: a Summarizer and a LanguageModel session through navigator.llm, with deadlines.
PROBE = """<!doctype html><meta charset="utf-8"><script>
const within = (promise) => Promise.race([promise.then(() => "ok", (e) => e.name), new Promise((r) => setTimeout(() => r("no answer"), 10000))]);
Promise.all([within(navigator.llm.createSummarizer()), within(navigator.llm.createSession())])
  .then(([summarizer, session]) => parent.postMessage({ probe: { summarizer, session } }, "*"));
</script>"""

# Frames of one URL side by side, each with its own `allow`; what each one's probe reports.
FRAMES = """
const [src, allows] = ARGS;
const results = allows.map((allow) => {
  const frame = document.createElement("iframe");
  frame.allow = allow;
  const result = new Promise((resolve) => addEventListener("message", (e) => e.source === frame.contentWindow && resolve(e.data.probe)));
  frame.src = src;
  document.body.append(frame);
  return result;
});
return await Promise.race([Promise.all(results), new Promise((r) => setTimeout(() => r("timeout"), 30000))]);
"""


@pytest.mark.timeout(180)
def test_only_the_frame_whose_embedder_allows_a_feature_may_ask_for_it(browser, site):
    browser.settings(echoEnabled=True, echoDelayMs=0)
    top, frame = site.origin(), site.origin("localhost")
    browser.grant(top, ("echo",))
    browser.grant(frame, ("echo",), top_origin=top)  # the user allowed the widget in this page
    site.add("widget.html", PROBE)
    tab = browser.tab(site.url())
    allows = ["summarizer", "", "summarizer https://elsewhere.example", "summarizer *; language-model"]
    got = tab.run(FRAMES, site.url("widget.html", host="localhost"), allows)
    assert got == [
        {"summarizer": "ok", "session": "NotAllowedError"},  # delegated the Summarizer only
        {"summarizer": "NotAllowedError", "session": "NotAllowedError"},  # same URL, no allow
        {"summarizer": "NotAllowedError", "session": "NotAllowedError"},  # allowed another origin
        {"summarizer": "ok", "session": "ok"},
    ], got
    tab.close()
