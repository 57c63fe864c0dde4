"""Real browsers with the navllm extension and host, serving the Prompt API test pages.

One browser per test module and browser kind. By default the host runs on the echo backend
(with a short delay so that calls can be aborted while in flight); a module that sets
``LOCAL_MODEL = True`` gets the real default model instead. The test origins are granted up
front, as the user would in the prompt.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.local.conftest import smollm2_store  # noqa: F401  (the converted default model, once per session)

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
CHROME_ID = "mgbpedbjfbkohpmiilfdaedkkiddmnkh"
GECKO_ID = "navllm@navllm.org"
HOST_NAME = "org.navllm.host"
ECHO_DELAY_MS = 150


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def pages_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(PAGES)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def _prepare_home(home: Path, port: int, settings: dict[str, Any]) -> None:
    """Settings and grants written through navllm's own stores, as the settings UI would."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NAVLLM_HOME", str(home))
        from navllm import settings as stored
        from navllm.policy.db import connect
        from navllm.policy.gate import Store

        stored.update(settings)
        store = Store(connect())
        for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):
            store.grants.set(origin, origin, "granted", ["echo", "local"], None, time.time())
        store.db.close()


def _launcher(where: Path, home: Path) -> Path:
    launcher = where / "navllm-host"
    launcher.write_text(
        "#!/bin/sh\n"
        f"export NAVLLM_HOME='{home}'\n"
        f"export PYTHONPATH='{ROOT / 'host'}'\n"
        f"exec '{ROOT / '.venv' / 'bin' / 'python'}' -m navllm.host \"$@\"\n"
    )
    launcher.chmod(0o755)
    return launcher


def _extension_copy(where: Path) -> Path:
    """The extension as shipped, plus empty UI pages where the UI has not landed yet
    (Chromium refuses to load an extension whose side panel file is missing)."""
    ext = where / "extension"
    shutil.copytree(ROOT / "extension", ext)
    for page in ("ui/panel/panel.html", "ui/popup/popup.html"):
        path = ext / page
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("<!doctype html>")
    return ext


class BrowserPage:
    """Runs the body of an async JS function in the test page and returns its JSON result."""

    def __init__(self, kind: str, origin: str, run, goto, admin=None):
        self.kind = kind
        self.origin = origin
        self._run = run
        self._goto = goto
        self.admin = admin  # runs a script in an extension page (Chromium), where admin requests are allowed

    def goto(self, path: str = "index.html") -> None:
        self._goto(f"{self.origin}/{path}")

    def run(self, body: str) -> Any:
        result = self._run(body)
        if isinstance(result, dict) and "__error" in result:
            raise AssertionError(f"page script failed: {result['__error']}")
        return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium(tmp: Path, home: Path, origin: str, keep_native_api: bool = False) -> Iterator[BrowserPage]:
    from playwright.sync_api import sync_playwright

    udd = tmp / "udd"
    (udd / "NativeMessagingHosts").mkdir(parents=True)
    manifest = {"name": HOST_NAME, "description": "navllm", "path": str(_launcher(tmp, home)), "type": "stdio",
                "allowed_origins": [f"chrome-extension://{CHROME_ID}/"]}
    (udd / "NativeMessagingHosts" / f"{HOST_NAME}.json").write_text(json.dumps(manifest))
    ext = _extension_copy(tmp)
    with sync_playwright() as p:
        # Chromium's own Prompt API is switched off unless a test is about replacing it.
        args = ["--no-sandbox", "--disable-gpu", f"--disable-extensions-except={ext}", f"--load-extension={ext}"]
        if not keep_native_api:
            args.append("--disable-features=AIPromptAPI")
        ctx = p.chromium.launch_persistent_context(str(udd), executable_path="/usr/bin/chromium", headless=True,
                                                   args=args, env={**os.environ, "HOME": str(tmp)})
        page = ctx.new_page()
        extension_page = []

        def admin(body: str) -> Any:
            if not extension_page:
                extension_page.append(ctx.new_page())
                extension_page[0].goto(f"chrome-extension://{CHROME_ID}/ui/popup/popup.html")
            return extension_page[0].evaluate(f"async () => {{ {body} }}")

        try:
            yield BrowserPage("chromium", origin, lambda body: page.evaluate(f"async () => {{ {body} }}"), page.goto, admin)
        finally:
            ctx.close()


def _firefox(tmp: Path, home: Path, origin: str) -> Iterator[BrowserPage]:
    from marionette_driver.addons import Addons
    from marionette_driver.marionette import Marionette

    hosts = tmp / ".mozilla" / "native-messaging-hosts"
    hosts.mkdir(parents=True)
    manifest = {"name": HOST_NAME, "description": "navllm", "path": str(_launcher(tmp, home)), "type": "stdio",
                "allowed_extensions": [GECKO_ID]}
    (hosts / f"{HOST_NAME}.json").write_text(json.dumps(manifest))
    ext = _extension_copy(tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(tmp))  # mozrunner copies the environment at launch
        mp.setenv("TMPDIR", str(tmp))
        client = Marionette(bin="/usr/bin/firefox-esr", headless=True, port=_free_port(),
                            prefs={"privacy.reduceTimerPrecision": False})
        client.start_session()
    try:
        Addons(client).install(str(ext), temp=True)
        client.timeout.script = 60

        def run(body: str) -> Any:
            script = ("const done = arguments[arguments.length - 1];"
                      f"(async () => {{ {body} }})().then(done, (e) => done({{__error: String(e && e.stack || e)}}));")
            return client.execute_async_script(script, sandbox=None)

        yield BrowserPage("firefox", origin, run, client.navigate)
    finally:
        client.cleanup()


LAUNCH = {"chromium": _chromium, "firefox": _firefox}


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def browser(request, pages_server, tmp_path_factory) -> Iterator[BrowserPage]:
    """A browser with the extension, its host on echo (or the real model), and the test page open."""
    tmp = tmp_path_factory.mktemp(request.param)
    home = tmp / "navllm-home"
    if getattr(request.module, "LOCAL_MODEL", False):
        (home / "data").mkdir(parents=True)
        (home / "data" / "models").symlink_to(request.getfixturevalue("smollm2_store"), target_is_directory=True)
        _prepare_home(home, pages_server, {"echoEnabled": False})
    else:
        _prepare_home(home, pages_server, {"echoEnabled": True, "echoDelayMs": ECHO_DELAY_MS})
    # localhost is the page origin; 127.0.0.1 (same port) serves cross-origin frames.
    yield from LAUNCH[request.param](tmp, home, f"http://localhost:{pages_server}")


@pytest.fixture
def page(browser: BrowserPage) -> BrowserPage:
    browser.goto()
    return browser
