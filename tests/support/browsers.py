"""Real browsers with the navllm extension, for end-to-end tests.

Use it from a conftest: ``from tests.support.browsers import site, chromium, firefox, browser``.

- ``site`` (session): a static server on 127.0.0.1 serving ``tests/support/pages`` plus pages a
  test adds with ``site.add(path, html)``. The same port answers as ``localhost`` (a second
  origin) and ``127.0.0.2`` (a loopback origin that is never eligible for navllm).
- ``chromium`` / ``firefox`` (module): one browser per test module, with the extension loaded
  and the host registered BY OUR INSTALLER for that browser profile, its own ``NAVLLM_HOME``
  (``browser.home``) and its own ``HOME``. ``browser`` runs a module once per browser.
- ``browser.admin(type, **body)`` sends a request from an extension page, exactly as the
  settings UI does (the background marks it ``kind: "extension"``); ``browser.grant(origin)``
  and ``browser.settings(**values)`` are shortcuts for it.
- ``browser.tab(url)`` opens a tab; ``tab.run(js)`` runs the body of an async function in the
  page and returns its JSON-able result (a thrown error fails the test; catch it in JS to
  inspect it).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
CHROME_ID = "mgbpedbjfbkohpmiilfdaedkkiddmnkh"
GECKO_ID = "navllm@navllm.org"
FIREFOX_UUID = "6f1b9d52-3c1e-4b8a-9d7e-2a4c5e6f7a80"  # pinned so tests know the extension's origin
ADMIN_PAGE = "_test/admin.html"
CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"


# -- the test site ------------------------------------------------------------------------


class Site:
    def __init__(self) -> None:
        self.extra: dict[str, bytes] = {}
        handler = functools.partial(_Handler, self, directory=str(PAGES))
        first = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = first.server_address[1]
        # 127.0.0.2 on the same port: a loopback origin navllm never admits.
        self.servers = [first, ThreadingHTTPServer(("127.0.0.2", self.port), handler)]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def origin(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def url(self, path: str = "index.html", host: str = "127.0.0.1") -> str:
        return f"{self.origin(host)}/{path.lstrip('/')}"

    def add(self, path: str, html: str) -> str:
        """Serve ``html`` at ``path`` (from now on, for every host name); returns the path."""
        self.extra["/" + path.lstrip("/")] = html.encode()
        return path

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, site: Site, *args: Any, **kwargs: Any):
        self.site = site
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        body = self.site.extra.get(self.path.split("?")[0])
        if body is None:
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    running = Site()
    yield running
    running.close()


# -- browsers -------------------------------------------------------------------------------


class AdminError(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def extension_copy(where: Path) -> Path:
    """The extension as shipped, plus an empty page tests drive admin requests from, and empty
    UI pages where the UI has not landed (Chromium refuses an extension whose side panel is missing)."""
    ext = where / "extension"
    shutil.copytree(ROOT / "extension", ext)
    for page in ("ui/panel/panel.html", "ui/popup/popup.html", ADMIN_PAGE):
        path = ext / page
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("<!doctype html><meta charset=utf-8><title>navllm test</title>\n")
    return ext


def navllm(*args: str, home: Path, env: dict[str, str] | None = None) -> str:
    """Run the ``navllm`` command with NAVLLM_HOME=home; returns its output."""
    done = subprocess.run(
        [sys.executable, "-m", "navllm", *args],
        env={**os.environ, **(env or {}), "NAVLLM_HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise AssertionError(f"navllm {' '.join(args)} failed: {done.stderr}")
    return done.stdout


_ADMIN_JS = """
const [type, body] = ARGS;
const { hostClient } = await import("/common/host-client.js");
window.__client ??= hostClient();
try {
  return { data: (await window.__client.request(type, body)) ?? null };
} catch (err) {
  return { error: { name: err.name, message: err.message } };
}
"""


class Tab:
    """One page in a browser; ``run`` evaluates the body of an async function in it."""

    def __init__(self, browser: Browser, handle: Any):
        self.browser = browser
        self.handle = handle

    def goto(self, url: str) -> Tab:
        self.browser._goto(self, url)
        return self

    def run(self, body: str, *args: Any) -> Any:
        """Evaluate ``body`` (which may ``await`` and sees ``ARGS``, the JSON ``args``)."""
        result = self.browser._run(self, body, list(args))
        if isinstance(result, dict) and "__error" in result:
            raise AssertionError(f"page script failed: {result['__error']}")
        return result

    def close(self) -> None:
        self.browser._close_tab(self)


class Browser(ABC):
    kind: str
    extension_origin: str

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.home = tmp / "navllm-home"  # NAVLLM_HOME of the host this browser starts
        self.user_home = tmp / "home"  # HOME of the browser process
        self.user_home.mkdir(parents=True)
        self.extension = extension_copy(tmp)
        self._admin: Tab | None = None

    # The host side.
    def settings(self, **values: Any) -> dict:
        return self.admin("settings.set", values=values)

    def grant(self, origin: str, providers: tuple[str, ...] = ("local",), top_origin: str | None = None) -> Any:
        body: dict[str, Any] = {"origin": origin, "state": "granted", "providers": list(providers)}
        if top_origin:
            body["topOrigin"] = top_origin
        return self.admin("grants.set", **body)

    def admin(self, type_: str, **body: Any) -> Any:
        """One request from the extension's own page, as the settings UI sends it."""
        if self._admin is None:
            self._admin = self.tab(f"{self.extension_origin}/{ADMIN_PAGE}")
        outcome = self._admin.run(_ADMIN_JS, type_, body)
        if "error" in outcome:
            raise AdminError(outcome["error"]["name"], outcome["error"]["message"])
        return outcome["data"]

    def host_pids(self) -> list[int]:
        """The host processes this browser started (found by their NAVLLM_HOME)."""
        marker = f"NAVLLM_HOME={self.home}".encode()
        pids = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0") and b"navllm.host" in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
        return pids

    def kill_host(self) -> list[int]:
        pids = self.host_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    # The browser side, per kind.
    @abstractmethod
    def tab(self, url: str | None = None) -> Tab: ...

    @abstractmethod
    def _goto(self, tab: Tab, url: str) -> None: ...

    @abstractmethod
    def _run(self, tab: Tab, body: str, args: list[Any]) -> Any: ...

    @abstractmethod
    def _close_tab(self, tab: Tab) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


def _wrap(body: str) -> str:
    """An async function of ARGS that reports a thrown error instead of rejecting."""
    return (
        "async (ARGS) => { try { return await (async () => {" + body + "})(); }"
        " catch (e) { return { __error: String((e && e.stack) || e) }; } }"
    )


class Chromium(Browser):
    kind = "chromium"
    extension_origin = f"chrome-extension://{CHROME_ID}"

    def __init__(self, tmp: Path, extra_args: tuple[str, ...] = ()):
        super().__init__(tmp)
        from playwright.sync_api import sync_playwright

        udd = tmp / "udd"
        navllm("install", "--user-data-dir", str(udd), "--home", str(self.home), home=self.home, env={"HOME": str(self.user_home)})
        self._playwright = sync_playwright().start()
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--disable-extensions-except={self.extension}",
            f"--load-extension={self.extension}",
            *extra_args,
        ]
        env = {**os.environ, "HOME": str(self.user_home), "TMPDIR": str(tmp)}
        self.context = self._playwright.chromium.launch_persistent_context(str(udd), executable_path=CHROMIUM, headless=True, args=args, env=env)
        workers = self.context.service_workers
        self.worker = workers[0] if workers else self.context.wait_for_event("serviceworker")

    def tab(self, url: str | None = None) -> Tab:
        tab = Tab(self, self.context.new_page())
        return tab.goto(url) if url else tab

    def _goto(self, tab: Tab, url: str) -> None:
        tab.handle.goto(url)

    def _run(self, tab: Tab, body: str, args: list[Any]) -> Any:
        return tab.handle.evaluate(_wrap(body), args)

    def _close_tab(self, tab: Tab) -> None:
        tab.handle.close()

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self._playwright.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Firefox(Browser):
    kind = "firefox"
    extension_origin = f"moz-extension://{FIREFOX_UUID}"

    def __init__(self, tmp: Path):
        super().__init__(tmp)
        from marionette_driver.addons import Addons
        from marionette_driver.marionette import Marionette

        navllm("install", "--firefox-home", str(self.user_home), "--home", str(self.home), home=self.home)
        prefs = {
            "extensions.webextensions.uuids": json.dumps({GECKO_ID: FIREFOX_UUID}),
            "privacy.reduceTimerPrecision": False,  # else performance.now() is clamped to 1 ms
            "network.proxy.type": 0,
        }
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HOME", str(self.user_home))  # mozrunner copies the environment at launch
            mp.setenv("TMPDIR", str(tmp))
            self.client = Marionette(bin=FIREFOX, headless=True, port=_free_port(), prefs=prefs)
            self.client.start_session()
        self.client.timeout.script = 60
        Addons(self.client).install(str(self.extension), temp=True)
        self._first = self.client.current_window_handle

    def _focus(self, tab: Tab) -> None:
        if self.client.current_window_handle != tab.handle:
            self.client.switch_to_window(tab.handle)

    def tab(self, url: str | None = None) -> Tab:
        if self._first is not None:  # reuse the window Firefox opened with
            handle, self._first = self._first, None
        else:
            handle = self.client.open(type="tab", focus=False)["handle"]
        tab = Tab(self, handle)
        return tab.goto(url) if url else tab

    def _goto(self, tab: Tab, url: str) -> None:
        self._focus(tab)
        self.client.navigate(url)

    def _run(self, tab: Tab, body: str, args: list[Any]) -> Any:
        self._focus(tab)
        script = f"const done = arguments[arguments.length - 1]; ({_wrap(body)})(arguments[0]).then(done);"
        return self.client.execute_async_script(script, script_args=[args], sandbox=None)

    def _close_tab(self, tab: Tab) -> None:
        self._focus(tab)
        self.client.close()
        self.client.switch_to_window(self.client.window_handles[0])

    def close(self) -> None:
        self.client.cleanup()


LAUNCHERS: dict[str, Callable[[Path], Browser]] = {"chromium": Chromium, "firefox": Firefox}


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
