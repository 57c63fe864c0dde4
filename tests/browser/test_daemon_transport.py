"""The transport fallback in real Chromium and Firefox ESR: a profile with no native host registered
(as a Snap or Flatpak browser, which may not start one) reaches the host through ``navllm serve``
once the side panel paired it, the code read from ``navllm pair`` as the user reads it. Forgetting
the pairing revokes its token in the daemon (a copy of it is refused: 4401 on the socket, 401 over
HTTP), and is refused while the daemon cannot be reached; pages' calls then fail with the
documented error; registering the native host brings the native path back on the next connect."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest

from navllm.devtools.browsers import Browser, Chromium, Firefox, Tab, install_host
from navllm.link.websocket import TEXT, Closed, WebSocket
from navllm.providers.echo import PREAMBLE
from tests.support.daemon_process import Daemon, navllm, write_settings

pytestmark = pytest.mark.browser

PANEL = "ui/panel/panel.html"
WAIT_MS = 30000

# Wait until the panel has drawn (not busy) an element matching `selector` that holds `text`.
WAIT_FOR = """
const [selector, text, ms] = ARGS;
const end = Date.now() + ms;
for (;;) {
  const el = document.querySelector(selector);
  const drawn = document.querySelector("#view")?.getAttribute("aria-busy") === "false";
  if (drawn && el && el.textContent.includes(text)) return el.textContent;
  if (Date.now() > end) throw new Error(`no ${selector} holding ${JSON.stringify(text)} within ${ms} ms; the panel shows: ${document.querySelector("#view")?.textContent}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
"""

# Type into a field of the Local service card and commit it, as a user does.
TYPE = """
const [selector, value] = ARGS;
const input = document.querySelector(selector);
input.value = value;
input.dispatchEvent(new Event("input", { bubbles: true }));
input.dispatchEvent(new Event("change", { bubbles: true }));
input.form?.requestSubmit();
return true;
"""

CLICK = """
const [label] = ARGS;
const button = [...document.querySelectorAll("#local-service button")].find((b) => b.textContent === label);
if (!button) throw new Error(`no button ${label}: ${document.querySelector("#local-service")?.textContent}`);
button.click();
return true;
"""

# What the background stored, what it tells the panel, and what the panel shows.
TOKEN_REACH = """
const api = globalThis.browser ?? globalThis.chrome;
const stored = (await api.storage.local.get("navllm.daemonPairing"))["navllm.daemonPairing"];
const told = await api.runtime.sendMessage({ type: "navllm-pairing", action: "state" });
return [stored.token, JSON.stringify(told), document.documentElement.outerHTML];
"""

PROMPT = """
try {
  const session = await LanguageModel.create();
  return { text: await session.prompt(ARGS[0]) };
} catch (e) {
  return { name: e.name, message: e.message };
}
"""


def closed_port() -> int:
    """A port nothing listens on (bound a moment ago, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(panel: Tab, selector: str, text: str = "") -> str:
    shown: str = panel.run(WAIT_FOR, selector, text, WAIT_MS)
    return shown


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def unregistered(request, tmp_path_factory) -> Iterator[Browser]:
    """A browser with the extension and no native host registered for its profile."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "chromium":
        running: Browser = Chromium(tmp, extra_args=("--disable-features=AIPromptAPI",), native_host=False)
    else:
        running = Firefox(tmp, native_host=False)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def daemon(unregistered) -> Iterator[Daemon]:
    assert unregistered.home is not None
    write_settings(unregistered.home, echoEnabled=True, echoDelayMs=0)
    with Daemon(unregistered.home) as running:
        yield running


@pytest.fixture(scope="module")
def panel(unregistered) -> Tab:
    return unregistered.tab(f"{unregistered.extension_origin}/{PANEL}#status")


@pytest.fixture(scope="module")
def page(unregistered, site) -> Tab:
    return unregistered.tab(site.url())


def test_the_panel_pairs_and_pages_reach_the_host_through_navllm_serve(unregistered, daemon, panel, page, site):
    # No native host, no pairing: the install page, with the Local service card.
    wait_for(panel, "#transport[data-transport=none]", "Not connected")
    # Pairing with no daemon on the port says how to start one.
    panel.run(TYPE, "#local-service input[type=number]", str(closed_port()))
    wait_for(panel, "#local-service-message", "Saved.")
    panel.run(CLICK, "Pair with navllm serve")
    wait_for(panel, "#local-service-message", "start it with `navllm serve`")
    panel.run(TYPE, "#local-service input[type=number]", str(daemon.port))
    wait_for(panel, "#local-service-message", "Saved.")
    panel.run(CLICK, "Pair with navllm serve")
    wait_for(panel, "#pairing-code:not([hidden])", "navllm pair")
    code = daemon.pairing_code()
    panel.run(TYPE, "#pairing-code input", code)
    # Paired: the Status section is drawn through the daemon, and says so.
    wait_for(panel, "#paired", "Paired as ")
    wait_for(panel, "#transport[data-transport=daemon]", "navllm serve")
    wait_for(panel, "#host-state", "Connected")
    # The token is in the background's storage; the panel is told the name, never the token.
    token, told, shown = panel.run(TOKEN_REACH)
    assert token.startswith("navllm-") and token not in told and token not in shown

    unregistered.grant(site.origin())
    assert page.run(PROMPT, "hello") == {"text": PREAMBLE + "hello"}


def copied_socket(port: int, token: str) -> WebSocket:
    """navllm serve's browser socket opened with ``token``, as someone who copied it would."""
    link = WebSocket.connect(port, "/api/browser", WAIT_MS / 1000)
    link.send(json.dumps({"type": "auth", "token": token}).encode(), TEXT)
    return link


def closed_with(link: WebSocket) -> int | None:
    with pytest.raises(Closed) as closed:
        link.receive()
    return closed.value.code


def forget_over_http(port: int, token: str, origin: str) -> int:
    """``POST /api/pair/forget`` with ``token``: the status navllm serve answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_MS / 1000)
    try:
        conn.request("POST", "/api/pair/forget", b"{}", {"Authorization": f"Bearer {token}", "Origin": origin})
        return conn.getresponse().status
    finally:
        conn.close()


def test_forgetting_the_pairing_revokes_its_token_in_navllm_serve(unregistered, daemon, panel):
    token, _, _ = panel.run(TOKEN_REACH)
    name = wait_for(panel, "#paired", "Paired as ").removeprefix("Paired as ").removesuffix(".")
    copied = copied_socket(daemon.port, token)
    assert json.loads(copied.receive())["ok"] is True
    # navllm serve out of reach: the pairing is kept, since its token would still work there.
    panel.run(TYPE, "#local-service input[type=number]", str(closed_port()))
    wait_for(panel, "#local-service-message", "Saved.")
    panel.run(CLICK, "Forget pairing")
    panel.run(CLICK, "Really forget?")
    kept = wait_for(panel, "#local-service-message", "The pairing is kept")
    assert f"navllm tokens revoke {name}" in kept
    assert name in navllm(daemon.home, "tokens", "list")

    panel.run(TYPE, "#local-service input[type=number]", str(daemon.port))
    wait_for(panel, "#local-service-message", "Saved.")
    panel.run(CLICK, "Forget pairing")
    panel.run(CLICK, "Really forget?")
    wait_for(panel, "#transport[data-transport=none]", "Not connected")
    assert closed_with(copied) == 4401  # the copy's open connection is closed
    assert closed_with(copied_socket(daemon.port, token)) == 4401
    assert forget_over_http(daemon.port, token, unregistered.extension_origin) == 401
    assert name not in navllm(daemon.home, "tokens", "list")


def test_a_wrong_code_is_refused_plainly(unregistered, daemon, panel):
    wait_for(panel, "#transport[data-transport=none]", "Not connected")
    panel.run(CLICK, "Pair with navllm serve")
    wait_for(panel, "#pairing-code:not([hidden])", "navllm pair")
    right = daemon.pairing_code()
    panel.run(TYPE, "#pairing-code input", "000000" if right != "000000" else "111111")
    assert "Wrong code" in wait_for(panel, "#local-service-message", "code")


def test_forgetting_the_pairing_fails_pages_with_the_documented_error(unregistered, daemon, panel, page):
    wait_for(panel, "#transport[data-transport=none]", "Not connected")
    outcome = page.run(PROMPT, "hello")
    assert outcome["name"] == "OperationError", outcome
    assert "not paired with navllm serve" in outcome["message"], outcome


def test_the_native_host_is_used_again_once_registered(unregistered, panel, page):
    assert unregistered.home is not None
    if isinstance(unregistered, Chromium):
        install_host(unregistered.home, "--user-data-dir", str(unregistered.tmp / "udd"), env={"HOME": str(unregistered.user_home)})
    else:
        install_host(unregistered.home, "--firefox-home", str(unregistered.user_home))
    assert page.run(PROMPT, "again") == {"text": PREAMBLE + "again"}
    panel.goto("about:blank")  # the panel afresh: a hash change alone would not redraw it
    panel.goto(f"{unregistered.extension_origin}/{PANEL}#status")
    wait_for(panel, "#transport[data-transport=native]", "Native messaging")
