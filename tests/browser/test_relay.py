"""The whole chain in real Chromium and Firefox ESR: page -> MAIN world -> bridge ->
background -> native port -> host (echo backend) and back."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from navllm.providers.echo import PREAMBLE
from tests.support.browsers import ADMIN_PAGE, AdminError, bridge_port

pytestmark = pytest.mark.browser

CAUGHT = """
try { return { ok: await (async () => { BODY })() }; }
catch (e) { return { name: e.name, message: e.message }; }
"""


def caught(body: str) -> str:
    return CAUGHT.replace("BODY", body)


@pytest.fixture(scope="module", autouse=True)
def granted(browser, site):
    browser.settings(echoEnabled=True, echoDelayMs=0)
    for host in ("127.0.0.1", "localhost"):
        browser.grant(site.origin(host))


@pytest.fixture
def delay(browser):
    """Echo replies only after ``ms``: long enough to act while a request is in flight.
    The echo backend reads its delay when the host builds it, so the host is restarted."""

    def set_delay(ms: int) -> None:
        browser.settings(echoDelayMs=ms)
        browser.kill_host()
        # A request racing the host's death fails; wait until the background runs a new host.
        for _ in range(50):
            try:
                browser.admin("status")
                return
            except AdminError as err:
                assert err.name == "OperationError", err
        raise AssertionError("the background did not start a new host")

    yield set_delay
    set_delay(0)


@pytest.fixture(scope="module")
def tab(browser, site):
    return browser.tab(site.url())


@pytest.fixture(scope="module")
def admin(browser):
    """An extension page: it can speak to the background as a frame's bridge would."""
    return browser.tab(f"{browser.extension_origin}/{ADMIN_PAGE}")


def test_round_trip(tab):
    result = tab.run("""
      const session = await navigator.llm.createSession({ temperature: 0.5, topK: 3, maxTokens: 64 });
      return [await navigator.llm.availability(), await session.generate({ prompt: "hello" })];
    """)
    assert result == ["available", PREAMBLE + "hello"]


def test_streaming_is_a_readable_stream_and_async_iterable(tab):
    result = tab.run("""
      const session = await navigator.llm.createSession();
      const stream = session.generateStreaming({ prompt: "abc" });
      const iterated = [];
      for await (const delta of stream) iterated.push(delta);
      const reader = session.generateStreaming({ prompt: "def" }).getReader();
      const read = [];
      for (let r = await reader.read(); !r.done; r = await reader.read()) read.push(r.value);
      return { isStream: stream instanceof ReadableStream, iterated, read };
    """)
    assert result["isStream"] is True
    assert "".join(result["iterated"]) == PREAMBLE + "abc"
    assert result["read"][0] == PREAMBLE
    assert "".join(result["read"]) == PREAMBLE + "def"


def test_abort_mid_request_rejects_promptly_and_session_survives(tab, delay):
    delay(1500)
    result = tab.run(
        caught("""
      const session = await navigator.llm.createSession();
      const controller = new AbortController();
      const stream = session.generateStreaming({ prompt: "never", signal: controller.signal });
      const reading = stream.getReader().read();
      setTimeout(() => controller.abort(), 100);
      const started = performance.now();
      let error;
      try { await reading; } catch (e) { error = e; }
      const abortedAfter = performance.now() - started;
      const again = session.generate({ prompt: "x", signal: AbortSignal.abort() }).catch((e) => e.name);
      return { name: error && error.name, abortedAfter, again: await again };
    """)
    )
    ok = result["ok"]
    assert ok["name"] == "AbortError"
    assert ok["abortedAfter"] < 1000  # well before the echo would have answered
    assert ok["again"] == "AbortError"


def test_host_killed_mid_request_errors_then_reconnects(browser, tab, delay):
    delay(3000)
    tab.run("await navigator.llm.availability();")  # the host is up
    first = browser.host_pids()
    assert first
    tab.run("""
      window.pending = navigator.llm.createSession().then((s) => s.generate({ prompt: "slow" }))
        .then((text) => ({ text }), (e) => ({ name: e.name, message: e.message }));
    """)
    time.sleep(0.5)  # the prompt is now waiting in the host
    browser.kill_host()
    outcome = tab.run("return await window.pending;")
    assert outcome["name"] == "OperationError"
    assert outcome["message"].startswith("navllm host disconnected")
    again = tab.run('const s = await navigator.llm.createSession(); return await s.generate({ prompt: "back" });')
    assert again == PREAMBLE + "back"
    assert set(browser.host_pids()).isdisjoint(first)


def test_page_cannot_claim_another_origin_or_kind(browser, site, admin):
    fake = {"kind": "extension", "origin": site.origin("127.0.0.1"), "topOrigin": site.origin("127.0.0.1")}
    # An origin that may never use navllm, claiming to be a granted one and an extension page.
    outsider = browser.tab(site.url(host="127.0.0.2"))
    replies = bridge_port(admin, site.url(host="127.0.0.2"), [{"id": 1, "type": "create", "body": {"caller": fake}}])
    assert replies[-1]["reply"]["type"] == "error"
    assert replies[-1]["reply"]["error"]["name"] == "NotAllowedError"
    assert site.origin("127.0.0.2") in replies[-1]["reply"]["error"]["message"]
    # A granted origin claiming an ungranted one is still served as itself.
    insider = browser.tab(site.url())
    bank = {"kind": "page", "origin": "https://bank.example", "topOrigin": "https://bank.example"}
    replies = bridge_port(admin, site.url(), [{"id": 2, "type": "create", "body": {"caller": bank}}])
    assert replies[-1]["reply"]["type"] == "done"
    assert replies[-1]["reply"]["data"]["provider"] == "echo"
    outsider.close()
    insider.close()


# A busy child frame: its prompt's replies must not show up in the parent.
CHILD = """<!doctype html><meta charset="utf-8"><script>
navigator.llm.createSession().then((s) => s.generate({ prompt: "child" }))
  .then((r) => parent.postMessage({ probe: r }, "*"), (e) => parent.postMessage({ probe: e.name }, "*"));
</script>"""

FORGE = """
const heard = [];
addEventListener("message", (e) => heard.push(e.data), true);
const child = new Promise((resolve) => addEventListener("message", (e) => e.data && "probe" in e.data && resolve(e.data.probe)));
const frame = document.createElement("iframe");
frame.src = ARGS[0];
document.body.append(frame);
// A handshake of our own after load, then requests in every shape navllm ever used.
const mine = new MessageChannel();
const got = [];
mine.port1.onmessage = (e) => got.push(e.data);
dispatchEvent(new MessageEvent("navllm-channel", { ports: [mine.port2] }));
const forged = [{ navllm: 1, dir: "req", id: 1, type: "availability", body: {} }, { id: 2, type: "availability", body: {} }];
for (const message of forged) {
  postMessage(message, "*");
  mine.port1.postMessage(message);
  try { frame.contentWindow.postMessage(message, "*"); } catch {}
}
const own = await navigator.llm.availability();
const childSaw = await child;
await new Promise((r) => setTimeout(r, 500));
return { own, childSaw, got, heard: heard.filter((m) => !(m && "probe" in m)) };
"""


def test_forged_messages_and_handshakes_get_no_answers(browser, site):
    site.add("frames/busy.html", CHILD)
    parent = browser.tab(site.url())
    result = parent.run(FORGE, site.url("frames/busy.html"))
    assert result["own"] == "available"  # the page's own API still has its channel
    assert result["childSaw"] == PREAMBLE + "child"
    assert result["got"] == []  # nothing answered the forged handshake
    # The parent's window carried only what it posted itself: no reply, its own or the child's.
    assert result["heard"] == [
        {"navllm": 1, "dir": "req", "id": 1, "type": "availability", "body": {}},
        {"id": 2, "type": "availability", "body": {}},
    ]
    parent.close()


LISTENER = """
let seen = 0, calls = 0;
// What real pages do: a catch-all listener, here one that calls navllm on every message.
addEventListener("message", () => {
  seen++;
  if (calls < 100) { calls++; navigator.llm.availability().catch(() => {}); }
});
const session = await navigator.llm.createSession();
await session.generate({ prompt: "a" });
for await (const _ of session.generateStreaming({ prompt: "b" })) {}
await navigator.llm.availability();
await new Promise((r) => setTimeout(r, 300));
return { seen, calls };
"""


def test_message_listeners_see_no_navllm_traffic(browser, site):
    page = browser.tab(site.url())
    assert page.run(LISTENER) == {"seen": 0, "calls": 0}
    page.close()


def test_poisoned_page_intrinsics_do_not_break_the_channel(browser, site):
    page = browser.tab(site.url())
    result = page.run(
        caught("""
      const keys = ["id", "type", "body", "cancel", "reply", "data", "error", "delta", "ports"];
      const saved = { parse: JSON.parse, stringify: JSON.stringify, post: MessagePort.prototype.postMessage,
                      add: EventTarget.prototype.addEventListener, ports: Object.getOwnPropertyDescriptor(MessageEvent.prototype, "ports") };
      for (const key of keys) {
        Object.defineProperty(Object.prototype, key, { get() { throw new Error("poisoned " + key); }, set() { throw new Error("poisoned"); }, configurable: true });
      }
      JSON.parse = () => { throw new Error("poisoned JSON.parse"); };
      JSON.stringify = () => { throw new Error("poisoned JSON.stringify"); };
      MessagePort.prototype.postMessage = () => { throw new Error("poisoned postMessage"); };
      EventTarget.prototype.addEventListener = () => { throw new Error("poisoned addEventListener"); };
      Object.defineProperty(MessageEvent.prototype, "ports", { get() { throw new Error("poisoned ports"); }, configurable: true });
      try {
      // Junk handshakes nobody may take.
      for (const junk of [() => new Event("navllm-channel"), () => new MessageEvent("navllm-channel"),
                          () => new MessageEvent("navllm-channel", { ports: [new MessageChannel().port1] })]) {
        try { window.dispatchEvent(junk()); } catch {}
      }
      const session = await navigator.llm.createSession();
      return [await navigator.llm.availability(), await session.generate({ prompt: "still fine" })];
      } finally {
        // Put the page back so the test driver can read the result.
        for (const key of keys) delete Object.prototype[key];
        Object.assign(JSON, { parse: saved.parse, stringify: saved.stringify });
        MessagePort.prototype.postMessage = saved.post;
        EventTarget.prototype.addEventListener = saved.add;
        Object.defineProperty(MessageEvent.prototype, "ports", saved.ports);
      }
    """)
    )
    assert result == {"ok": ["available", PREAMBLE + "still fine"]}
    page.close()


def test_navigator_llm_is_frozen_and_not_configurable(tab):
    result = tab.run("""
      const d = Object.getOwnPropertyDescriptor(navigator, "llm");
      let redefined = true;
      try { Object.defineProperty(navigator, "llm", { value: 1 }); } catch { redefined = false; }
      navigator.llm.createSession = null;
      return { frozen: Object.isFrozen(navigator.llm), configurable: d.configurable, writable: d.writable,
               redefined, deleted: delete navigator.llm, still: typeof navigator.llm.createSession,
               leaked: typeof window.__navllmBuild };
    """)
    assert result == {
        "frozen": True,
        "configurable": False,
        "writable": False,
        "redefined": False,
        "deleted": False,
        "still": "function",
        "leaked": "undefined",
    }


def test_page_cannot_reach_admin_requests(browser, site, admin):
    for kind in ("settings.set", "grants.set", "status"):
        body = {"values": {"echoDelayMs": 4321}} if kind == "settings.set" else {}
        replies = bridge_port(admin, site.url(), [{"id": 100, "type": kind, "body": body}])
        assert replies[-1]["reply"]["error"]["name"] == "NotSupportedError", replies
    assert browser.admin("settings.get")["echoDelayMs"] != 4321


def test_bad_input_gets_a_clear_error(tab):
    result = tab.run("""
      const session = await navigator.llm.createSession();
      const errors = [];
      for (const bad of [() => session.generate({ prompt: 42 }), () => navigator.llm.createSession({ topK: 1.5 }),
                         () => navigator.llm.createSession({ temperature: 9 })]) {
        try { await bad(); errors.push(null); } catch (e) { errors.push([e.name, e.constructor.name]); }
      }
      session.destroy();
      try { await session.generate({ prompt: "after" }); } catch (e) { errors.push([e.name, e.constructor.name]); }
      return errors;
    """)
    assert result[:2] == [["TypeError", "TypeError"], ["TypeError", "TypeError"]]
    assert result[2] in (["TypeError", "TypeError"], ["RangeError", "RangeError"])  # temperature out of range
    assert result[3] == ["InvalidStateError", "DOMException"]


def test_a_host_that_cannot_start_fails_calls_clearly_then_recovers(browser, tab):
    launcher = browser.home / "data" / "host" / "navllm-host"
    working = launcher.read_text()
    launcher.write_text("#!/bin/sh\necho 'navllm host: broken on purpose' >&2\nexit 1\n")
    try:
        browser.kill_host()
        outcomes = tab.run("""
          const out = [];
          for (let i = 0; i < 3; i++) {
            try { await navigator.llm.availability(); out.push("ok"); } catch (e) { out.push(e.name + ": " + e.message); }
          }
          return out;
        """)
    finally:
        launcher.write_text(working)
    assert len(outcomes) == 3
    assert all(o.startswith("OperationError: navllm host") for o in outcomes), outcomes
    # The next call reconnects (after a short backoff) to a working host.
    recovered = tab.run("const t = performance.now(); const a = await navigator.llm.availability(); return [a, performance.now() - t];")
    assert recovered[0] == "available"
    assert recovered[1] < 20_000  # backoff is capped at 10 s; the rest is the host loading


# A host that says hello, then neither reads nor answers anything again.
SILENT_HOST = """#!{python}
import json, os, struct, sys, time
open({pidfile!r}, "w").write(str(os.getpid()))
(size,) = struct.unpack("=I", sys.stdin.buffer.read(4))
hello = json.loads(sys.stdin.buffer.read(size))
reply = json.dumps({{"id": hello["id"], "type": "done", "data": {{"host": "silent", "protocol": 1}}}}).encode()
sys.stdout.buffer.write(struct.pack("=I", len(reply)) + reply)
sys.stdout.buffer.flush()
time.sleep(3600)
"""

TIMING = """
const api = globalThis.browser ?? globalThis.chrome;
if (ARGS[0]) await api.storage.session.set({ "navllm.timing": ARGS[0] });
else await api.storage.session.remove("navllm.timing");
"""

TIMED = """
const started = performance.now();
try { return { ok: await navigator.llm.availability() }; }
catch (e) { return { name: e.name, message: e.message, took: performance.now() - started }; }
"""


def test_a_host_that_stops_answering_is_restarted(browser, tab, admin):
    launcher = browser.home / "data" / "host" / "navllm-host"
    working = launcher.read_text()
    pidfile = browser.tmp / "silent-host.pid"
    admin.run(TIMING, {"silenceMs": 1000, "probeMs": 1000})  # read when the background next connects
    launcher.write_text(SILENT_HOST.format(python=sys.executable, pidfile=str(pidfile)))
    try:
        browser.kill_host()
        time.sleep(0.5)
        # A call racing the killed host's death fails on its own; the next one meets the silent host.
        for _ in range(3):
            outcome = tab.run(TIMED)
            if "liveness probe" in outcome.get("message", ""):
                break
        launcher.write_text(working)
        assert outcome["name"] == "OperationError", outcome
        assert "did not answer a liveness probe within 1000 ms" in outcome["message"]
        assert outcome["took"] < 5000  # 1 s of silence, 1 s for the probe, not forever
        # The background let go of the silent host, so the browser ends it.
        silent = int(pidfile.read_text())
        deadline = time.monotonic() + 15
        while Path(f"/proc/{silent}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not Path(f"/proc/{silent}").exists()
        # And the next call starts a working host.
        assert tab.run(TIMED) == {"ok": "available"}
    finally:
        launcher.write_text(working)
        admin.run(TIMING, None)
        browser.kill_host()  # the next host gets the default timing
