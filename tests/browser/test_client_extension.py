"""The page-side client (extension/client/navllm-client.js) in real Chromium and Firefox ESR with the
extension: a page loading it with ``<script type=module>`` gets its replies through navigator.llm."""

from __future__ import annotations

import pytest

from navllm.providers.echo import PREAMBLE
from tests.support import client_page

pytestmark = pytest.mark.browser

ASK = client_page.ASK
client_site = client_page.client_site  # a pytest fixture


def test_the_extension_is_used_when_present(browser, client_site):
    browser.settings(echoEnabled=True, echoDelayMs=0)
    browser.grant(client_site.origin())
    tab = browser.tab(client_site.url("client.html"))
    result = tab.run(ASK, "hello")
    tab.close()
    assert result["route"] == "extension", result
    assert result["text"] == PREAMBLE + "hello"
    assert "".join(result["streamed"]) == result["text"]
