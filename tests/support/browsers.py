"""Real browsers with the navllm extension, for end-to-end tests (the driver is ``navllm.devtools.browsers``).

Use it from a conftest: ``from tests.support.browsers import site, chromium, firefox, browser``.

- ``site`` (session): ``navllm.devtools.browsers.StaticSite`` serving ``tests/support/pages`` on 127.0.0.1
  (also as ``localhost`` and ``127.0.0.2``) plus pages a test adds with ``site.add(path, html)``.
- ``chromium`` / ``firefox`` (module): one browser per test module, with the extension loaded and
  the host registered BY OUR INSTALLER for that profile, with its own ``NAVLLM_HOME``
  (``browser.home``). ``browser`` runs each test of a module in Chromium, then in Firefox.
- ``browser.admin(type, **body)``, ``browser.grant(origin)``, ``browser.settings(**values)``:
  requests from an extension page, as the settings UI sends them.
- ``browser.tab(url).run(js, *args)``: the body of an async function, evaluated in the page.
- ``bridge_port(admin, url, messages)``: from an extension page ``admin``, speak to the
  background as the bridge of the tab at ``url`` does, but with whatever messages we like.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from navllm.devtools.browsers import ADMIN_PAGE, LAUNCHERS, AdminError, Browser, Chromium, Firefox, PageError, StaticSite, Tab

PAGES = Path(__file__).resolve().parent / "pages"

__all__ = [
    "ADMIN_PAGE",
    "AdminError",
    "Browser",
    "Chromium",
    "Firefox",
    "PageError",
    "StaticSite",
    "Tab",
    "bridge_port",
    "browser",
    "chromium",
    "firefox",
    "site",
]

# Runs in an extension page: injects into the isolated world of the (top frame of the) tab
# showing `url`, opens a "navllm-page" port there and collects replies until every request
# has a terminal one or `waitMs` passed.
_BRIDGE_PORT_JS = """
const [url, messages, waitMs] = ARGS;
const api = globalThis.browser ?? globalThis.chrome;
const tab = (await api.tabs.query({})).find((t) => t.url === url);
const [{ result }] = await api.scripting.executeScript({
  target: { tabId: tab.id },
  args: [messages, waitMs],
  func: (messages, waitMs) => new Promise((resolve) => {
    const api = globalThis.browser ?? globalThis.chrome;
    const port = api.runtime.connect({ name: "navllm-page" });
    const replies = [];
    let open = messages.filter((m) => "id" in m).length;
    const finish = () => { port.disconnect(); resolve(replies); };
    port.onMessage.addListener((m) => {
      replies.push(m);
      if (m.reply && (m.reply.type === "done" || m.reply.type === "error") && --open === 0) finish();
    });
    for (const m of messages) port.postMessage(m);
    setTimeout(finish, waitMs);
  }),
});
return result;
"""


def bridge_port(admin: Tab, url: str, messages: list[dict], wait_ms: int = 5000) -> list[dict]:
    """The background's replies ({id, reply}) to raw ``messages`` sent as the top frame at ``url``."""
    return admin.run(_BRIDGE_PORT_JS, url, messages, wait_ms)


@pytest.fixture(scope="session")
def site() -> Iterator[StaticSite]:
    running = StaticSite(PAGES)
    yield running
    running.close()


def launch(kind: str, tmp_path_factory) -> Iterator[Browser]:
    running = LAUNCHERS[kind](tmp_path_factory.mktemp(kind))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[Browser]:
    yield from launch("chromium", tmp_path_factory)


@pytest.fixture(scope="module")
def firefox(tmp_path_factory) -> Iterator[Browser]:
    yield from launch("firefox", tmp_path_factory)


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def browser(request, tmp_path_factory) -> Iterator[Browser]:
    """Each test of the module runs in Chromium, then in Firefox (one browser at a time)."""
    yield from launch(request.param, tmp_path_factory)
