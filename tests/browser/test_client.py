"""The page-side client (extension/client/navllm-client.js) in a real Chromium WITHOUT the extension,
loaded by a page with ``<script type=module>``: through ``navllm serve`` (/v1/chat/completions,
streamed) when the page has a token and its origin is allowed; a NotSupportedError with neither.
With the extension: test_client_extension.py (one Playwright per module, so a module apart)."""

from __future__ import annotations

import os

import pytest

from navllm.devtools.browsers import CHROMIUM
from tests.support import client_page
from tests.support.daemon_process import Daemon, write_settings

pytestmark = pytest.mark.browser

ASK = client_page.ASK
client_site = client_page.client_site  # a pytest fixture


@pytest.fixture(scope="module")
def plain_chromium(tmp_path_factory):
    """A Chromium without the extension."""
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("plain-chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
            env={**os.environ, "HOME": str(home)},
            timeout=60000,
        )
        try:
            yield browser
        finally:
            browser.close()


def ask(page, url: str, text: str):
    page.goto(url)
    return page.evaluate("async (ARGS) => {" + ASK + "}", [text])


def test_without_the_extension_navllm_serve_streams_the_reply(plain_chromium, client_site, tmp_path):
    write_settings(tmp_path, echoEnabled=True, echoDelayMs=0, serveAllowedOrigins=[client_site.origin()])
    with Daemon(tmp_path) as daemon:
        token = daemon.token("client-test")
        page = plain_chromium.new_page()
        result = ask(page, f"{client_site.url('client.html')}#token={token}&baseUrl=http://127.0.0.1:{daemon.port}", "hello")
        page.close()
    assert result["route"] == "daemon", result
    assert result["text"].endswith("hello"), result
    assert "".join(result["streamed"]) == result["text"]
    assert len(result["streamed"]) > 1  # streamed, not one block


def test_an_origin_not_allowed_by_navllm_serve_is_not_available(plain_chromium, client_site, tmp_path):
    write_settings(tmp_path, echoEnabled=True, serveAllowedOrigins=["https://elsewhere.example"])
    with Daemon(tmp_path) as daemon:
        token = daemon.token("client-test")
        page = plain_chromium.new_page()
        result = ask(page, f"{client_site.url('client.html')}#token={token}&baseUrl=http://127.0.0.1:{daemon.port}", "hello")
        page.close()
    assert result["route"] is None
    assert result["name"] == "NotSupportedError" and result["isDOMException"], result


def test_with_neither_calls_reject_with_not_supported(plain_chromium, client_site):
    page = plain_chromium.new_page()
    result = ask(page, client_site.url("client.html"), "hello")
    page.close()
    assert result["route"] is None
    assert result["name"] == "NotSupportedError" and result["isDOMException"], result
    assert "not available" in result["message"]
