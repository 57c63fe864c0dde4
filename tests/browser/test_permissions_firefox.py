"""The permission prompt window in real Firefox ESR: it opens for a new site, early clicks do
nothing, Allow once answers every queued request, closing the window is a dismissal."""

from __future__ import annotations

import time

import pytest

from tests.support.prompt_window import OUTCOME, START, wait_for_window

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def echo(firefox):
    firefox.settings(echoEnabled=True, echoDelayMs=0)


def test_prompt_window_in_firefox(firefox, site):
    client = firefox.client
    tab = firefox.tab(site.url())
    known = set(client.window_handles)
    slots = [tab.run(START), tab.run(START)]
    prompt = wait_for_window(firefox, known)
    assert site.origin() in client.find_element("css selector", "main").text
    assert client.find_element("css selector", "#site").text == "127.0.0.1"

    client.find_element("css selector", "[data-decision=always]").click()  # not armed yet
    time.sleep(0.8)
    assert [tab.run(OUTCOME, s, 0) for s in slots] == [None, None]
    assert firefox.admin("grants.list")["grants"] == []

    client.switch_to_window(prompt)
    time.sleep(0.8)  # the window was in the background meanwhile: it re-arms after it is back for 500 ms
    client.find_element("css selector", "[data-decision=once]").click()
    client.switch_to_window(tab.handle)  # the prompt window closes itself
    assert [tab.run(OUTCOME, s, 10000) for s in slots] == ["ok", "ok"]
    assert not set(client.window_handles) - known

    tab.goto(site.url())  # a new document: asked again; closing the window is a dismissal
    known = set(client.window_handles)
    slot = tab.run(START)
    wait_for_window(firefox, known)
    client.close()
    client.switch_to_window(tab.handle)
    assert tab.run(OUTCOME, slot, 10000) == "NotAllowedError"
