"""Page scripts for driving the permission prompt window: start createSession calls that wait for
the user's answer, then read how each one ended (``tab.run(START)`` / ``tab.run(OUTCOME, slot, wait_ms)``)."""

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
