"""Drive a real browser with a test build of the navllm extension and a host registered by our
installer for a throw-away profile: used by ``navllm demo``, ``navllm bench relay`` and the
end-to-end tests.

Chromium runs under Playwright, Firefox ESR under Marionette (both from the ``demo`` extra,
imported only when a browser is launched). Each browser gets its own folder: profile, ``HOME``
and the host's ``NAVLLM_HOME`` (``browser.home``).

- ``browser.tab(url)`` opens a tab; ``tab.run(js, *args)`` runs the body of an async function
  in the page (it sees ``ARGS``) and returns its JSON-able result; a thrown error raises.
- ``browser.admin(type, **body)`` sends a request from an extension page, exactly as the
  settings UI does; ``browser.grant(origin)`` and ``browser.settings(**values)`` use it.
- ``browser.host_pids()`` / ``kill_host()`` find the host processes it started.

The test build (``extension_copy``) is the shipped extension plus ``testbuild/`` as ``_test/``:
the admin page, and a background module that runs the shipped one and adds ``ECHO_PORT``, the
no-host baseline of ``navllm bench relay``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from abc import ABC, abstractmethod
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..install import CHROME_EXTENSION_ID, FIREFOX_EXTENSION_ID

FIREFOX_UUID = "6f1b9d52-3c1e-4b8a-9d7e-2a4c5e6f7a80"  # pinned so the extension's origin is known
# The test build's own files: testbuild/ becomes _test/ in the driver's copy only; never shipped.
TESTBUILD = Path(__file__).resolve().parent / "testbuild"
ADMIN_PAGE = "_test/admin.html"
TEST_BACKGROUND = "_test/background.js"
ECHO_PORT = "navllm-bench-echo"  # answered by _test/background.js without the host
CHROMIUM = os.environ.get("NAVLLM_CHROMIUM", "/usr/bin/chromium")
FIREFOX = os.environ.get("NAVLLM_FIREFOX", "/usr/bin/firefox-esr")


class StaticSite:
    """A static web server on 127.0.0.1 (also answering as ``localhost``, a second origin, and as
    ``127.0.0.2``, a loopback origin navllm never admits) for ``folder`` plus pages added with ``add``."""

    def __init__(self, folder: Path) -> None:
        self.extra: dict[str, bytes] = {}
        handler = functools.partial(_Handler, self, directory=str(folder))
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
    def __init__(self, site: StaticSite, *args: Any, **kwargs: Any):
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


class PageError(RuntimeError):
    """A script run in a page threw; the message is its stack."""


class AdminError(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def extension_copy(where: Path) -> Path:
    """The test build: the extension as shipped, plus ``testbuild/`` as ``_test/`` (an empty page
    to send admin requests from, as the settings UI does, and a background module that imports
    the shipped one and answers ``ECHO_PORT``), the manifest's background pointed at that module,
    and empty UI pages where they are missing (Chromium refuses to load an extension whose side
    panel file is missing)."""
    from ..resources import extension_dir

    ext = where / "extension"
    shutil.copytree(extension_dir(), ext)
    shutil.copytree(TESTBUILD, ext / "_test", ignore=shutil.ignore_patterns(".*", "__pycache__"))
    manifest_path = ext / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    background = manifest["background"]
    if background.get("type") != "module" or "service_worker" not in background or "scripts" not in background:
        raise RuntimeError(f"the test build expects a module background with service_worker and scripts: {background}")
    background["service_worker"] = TEST_BACKGROUND  # Chromium
    background["scripts"] = [TEST_BACKGROUND]  # Firefox
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for page in ("ui/panel/panel.html", "ui/popup/popup.html"):
        path = ext / page
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("<!doctype html><meta charset=utf-8><title>navllm</title>\n")
    return ext


def install_host(home: Path | None, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``navllm install`` for a browser profile, with ``home`` as NAVLLM_HOME (the user's own
    data when None); returns its output."""
    where = ["--home", str(home)] if home else []
    done = subprocess.run(
        [sys.executable, "-m", "navllm", "install", *args, *where],
        env={**os.environ, **(env or {}), **({"NAVLLM_HOME": str(home)} if home else {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"navllm install {' '.join(args)} failed: {done.stderr}")
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
            raise PageError(result["__error"])
        return result

    def close(self) -> None:
        self.browser._close_tab(self)


class Browser(ABC):
    kind: str
    extension_origin: str

    def __init__(self, tmp: Path, home: Path | None = None, own_data: bool = False):
        """The host keeps its data in ``home`` (a fresh folder inside ``tmp`` unless given), or,
        with ``own_data``, where the user's navllm keeps it (their settings, models and grants)."""
        self.tmp = tmp
        self.home = None if own_data else home or tmp / "navllm-home"
        self.user_home = tmp / "home"  # HOME of the browser process
        self.user_home.mkdir(parents=True)
        # The browser (and so the host) runs with a throw-away HOME; with own_data, point the host's
        # platform folders back at the user's own, so their models and settings are used.
        self.data_env = _own_data_dirs() if own_data else {}
        # A daemon the host started from here would outlive the throw-away HOME it inherits:
        # use the user's if it runs, never start one (unless the caller's environment says).
        self.data_env.setdefault("NAVLLM_DAEMON", os.environ.get("NAVLLM_DAEMON", "if-running"))
        self.extension = extension_copy(tmp)
        self._admin: Tab | None = None

    # The host side.
    def settings(self, **values: Any) -> dict[str, Any]:
        stored: dict[str, Any] = self.admin("settings.set", values=values)
        return stored

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
        if self.home is None:
            raise RuntimeError("the host shares the user's data: its processes cannot be told apart")
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
    extension_origin = f"chrome-extension://{CHROME_EXTENSION_ID}"

    def __init__(
        self,
        tmp: Path,
        home: Path | None = None,
        own_data: bool = False,
        extra_args: tuple[str, ...] = (),
        allow_incognito: bool = False,
        native_host: bool = True,
    ):
        """With ``allow_incognito``, the extension is allowed in incognito windows ("Allow in
        Incognito", written to the new profile's Preferences before launch). Without
        ``native_host``, no host is registered for the profile, as in a Snap or Flatpak browser."""
        super().__init__(tmp, home, own_data)
        from playwright.sync_api import sync_playwright

        udd = tmp / "udd"
        if allow_incognito:
            (udd / "Default").mkdir(parents=True)
            prefs = {"extensions": {"settings": {CHROME_EXTENSION_ID: {"incognito": True}}}}
            (udd / "Default" / "Preferences").write_text(json.dumps(prefs))
        if native_host:
            install_host(self.home, "--user-data-dir", str(udd), env={"HOME": str(self.user_home)})
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
        # Playwright's env parameter is typed dict[str, str | float | bool] (invariant), so say so here.
        env: dict[str, str | float | bool] = {**os.environ, "HOME": str(self.user_home), "TMPDIR": str(tmp), **self.data_env}
        self.context = self._playwright.chromium.launch_persistent_context(
            str(udd), executable_path=CHROMIUM, headless=True, args=args, env=env
        )
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


def _own_data_dirs() -> dict[str, str]:
    """The XDG folders of the real user (where platformdirs puts navllm's data on Linux)."""
    home = Path.home()
    return {
        "XDG_DATA_HOME": os.environ.get("XDG_DATA_HOME", str(home / ".local" / "share")),
        "XDG_CONFIG_HOME": os.environ.get("XDG_CONFIG_HOME", str(home / ".config")),
        "XDG_STATE_HOME": os.environ.get("XDG_STATE_HOME", str(home / ".local" / "state")),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Firefox(Browser):
    kind = "firefox"
    extension_origin = f"moz-extension://{FIREFOX_UUID}"

    def __init__(self, tmp: Path, home: Path | None = None, own_data: bool = False, native_host: bool = True):
        """Without ``native_host``, no host is registered for the profile, as in a Snap or Flatpak browser."""
        super().__init__(tmp, home, own_data)
        from marionette_driver.addons import Addons
        from marionette_driver.marionette import Marionette

        logging.getLogger("mozversion").setLevel(logging.WARNING)  # it prints every build detail at INFO

        if native_host:
            install_host(self.home, "--firefox-home", str(self.user_home))
        prefs = {
            "extensions.webextensions.uuids": json.dumps({FIREFOX_EXTENSION_ID: FIREFOX_UUID}),
            "privacy.reduceTimerPrecision": False,  # else performance.now() is clamped to 1 ms
            "network.proxy.type": 0,
        }
        launch_env = {"HOME": str(self.user_home), "TMPDIR": str(tmp), **self.data_env}
        saved = {name: os.environ.get(name) for name in launch_env}
        os.environ.update(launch_env)  # mozrunner copies the environment at launch
        try:
            self.client = Marionette(bin=FIREFOX, headless=True, port=_free_port(), prefs=prefs, gecko_log=str(tmp / "gecko.log"))
            self.client.start_session()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
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


LAUNCHERS: dict[str, type[Browser]] = {"chromium": Chromium, "firefox": Firefox}
