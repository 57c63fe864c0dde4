"""Why a page is refused LanguageModel: a cross-origin frame whose top-level site the user has not
let delegate navllm to it is told that, not that its origin may never use navllm."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.tasks.conftest import PAGE, TaskHost, write_settings


@pytest.fixture
async def echo_host(navllm_home) -> AsyncIterator[TaskHost]:
    write_settings(navllm_home, echoEnabled=True, providers=[])
    host = TaskHost()
    await host.grant()
    yield host
    await host.close()


async def refusal(host: TaskHost, caller: dict) -> str:
    reply = await host.call("availability", caller, options={})
    assert reply["type"] == "error" and reply["error"]["name"] == "NotAllowedError", reply
    return reply["error"]["message"]


async def test_an_undelegated_frame_is_told_it_needs_the_delegation(echo_host: TaskHost):
    frame = {**PAGE, "origin": "http://localhost:8080", "topOrigin": PAGE["origin"], "frameId": 3}
    message = await refusal(echo_host, frame)
    assert "http://localhost:8080 is embedded in https://example.com" in message and "never" not in message


async def test_an_insecure_page_is_told_it_may_never_ask(echo_host: TaskHost):
    message = await refusal(echo_host, {**PAGE, "origin": "http://example.com"})
    assert "only https: sites and http://localhost may ask" in message


async def test_the_granted_top_level_page_is_answered(echo_host: TaskHost):
    assert await echo_host.ok("availability", options={}) == "available"
