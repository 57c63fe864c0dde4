"""``navllm demo``: a web page asks a question through ``navigator.llm`` in a real browser, and
the answer streams into this terminal.

It registers the host for a throw-away browser profile, starts the browser headless with the
extension, serves a small page on 127.0.0.1, grants that page for ten minutes through the
extension's own admin path (as the user would in the prompt), asks, and prints each delta as
the page receives it. The host uses your own settings, models and keys: whatever your provider
chain serves (``navllm settings set echoEnabled true`` to try it with the echo backend).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import Commands

if TYPE_CHECKING:
    from ..devtools.browsers import Tab

GRANT_SECONDS = 600
POLL_SECONDS = 0.03

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>navllm demo</title>
<h1>navllm demo</h1>
<p>This page asks <code>navigator.llm</code>; the answer streams below.</p>
<pre id="answer"></pre>
"""

# Starts the stream and keeps what arrives for the terminal to collect.
ASK_JS = """
const [prompt] = ARGS;
const out = document.getElementById("answer");
window.demo = { deltas: [], loaded: null, done: false, error: null };
(async () => {
  // The first session may fetch and convert the model: its progress reaches the page too.
  const monitor = (m) => m.addEventListener("downloadprogress", (e) => { window.demo.loaded = e.loaded; });
  const session = await navigator.llm.createSession({ monitor });
  for await (const delta of session.generateStreaming({ prompt })) {
    window.demo.deltas.push(delta);
    out.textContent += delta;
  }
  session.destroy();
})().then(() => { window.demo.done = true; },
          (e) => { window.demo.error = `${e.name}: ${e.message}`; window.demo.done = true; });
return await navigator.llm.availability();
"""

TAKE_JS = """
const taken = window.demo.deltas.splice(0);
return { deltas: taken, loaded: window.demo.loaded, done: window.demo.done, error: window.demo.error };
"""


def register(commands: Commands) -> None:
    parser = commands.add_parser("demo", help="watch a web page get an answer through navigator.llm")
    parser.add_argument("--browser", choices=["chromium", "firefox"], default="chromium")
    parser.add_argument("--prompt", default="What is the capital of France, and what is it famous for?")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..devtools.browsers import LAUNCHERS, StaticSite
    except ImportError as exc:  # pragma: no cover - depends on how navllm was installed
        print(f"navllm demo: {exc}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="navllm-demo-") as tmp:
        site = StaticSite(Path(tmp))
        site.add("demo.html", PAGE)
        print(f"starting {args.browser} (headless) with the navllm extension…", flush=True)
        began = time.monotonic()
        try:
            browser = LAUNCHERS[args.browser](Path(tmp), own_data=True)
        except ImportError as exc:
            print(
                f"navllm demo needs the browser drivers of the demo extra (pip install 'navllm[demo]', or pipx install 'navllm[demo]'): {exc}",
                file=sys.stderr,
            )
            site.close()
            return 1
        origin = site.origin()
        try:
            browser.admin("grants.set", origin=origin, state="granted", providers=["local"], expiresAt=time.time() + GRANT_SECONDS)
            print(f"ready in {time.monotonic() - began:.1f} s; {origin} may use navllm for {GRANT_SECONDS // 60} minutes")
            return _ask(browser.tab(site.url("demo.html")), args.prompt)
        finally:
            browser.admin("grants.revoke", origin=origin)
            browser.close()
            site.close()


def _ask(tab: Tab, prompt: str) -> int:
    print(f"\nthe page asks: {prompt}")
    asked = time.monotonic()
    availability = tab.run(ASK_JS, prompt)
    print(f"navigator.llm.availability() said {availability!r}\n")
    first = None
    chars = 0
    shown = None
    while True:
        state = tab.run(TAKE_JS)
        percent = None if state["loaded"] is None else int(state["loaded"] * 100)
        if first is None and percent is not None and percent != shown and 0 < percent < 100:
            print(f"\rpreparing the model: {percent}%", end="", flush=True)
            shown = percent
        for delta in state["deltas"]:
            if first is None and shown is not None:
                print("\rpreparing the model: done\n")
            if first is None:
                first = time.monotonic() - asked
            chars += len(delta)
            sys.stdout.write(delta)
            sys.stdout.flush()
        if state["done"]:
            break
        time.sleep(POLL_SECONDS)
    total = time.monotonic() - asked
    print()
    if state["error"]:
        print(f"\nthe page got an error: {state['error']}", file=sys.stderr)
        return 1
    print(f"\nfirst text after {first or total:.2f} s, {chars} characters in {total:.2f} s")
    return 0
