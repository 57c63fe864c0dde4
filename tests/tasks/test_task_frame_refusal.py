"""Why a page is refused a task API: a cross-origin frame whose top-level site the user has not
let delegate navllm to it is told that, not that its origin may never use navllm."""

from __future__ import annotations

from tests.tasks.conftest import PAGE, TaskHost

OPTIONS = {"kind": "language-detector"}


async def test_an_undelegated_frame_is_told_it_needs_the_delegation(echo_host: TaskHost):
    frame = {**PAGE, "origin": "https://widget.example", "topOrigin": PAGE["origin"], "frameId": 3}
    reply = await echo_host.call("task-availability", frame, options=OPTIONS)
    assert reply["type"] == "error" and reply["error"]["name"] == "NotAllowedError", reply
    message = reply["error"]["message"]
    assert "https://widget.example is embedded in https://example.com" in message and "never" not in message


async def test_an_insecure_page_is_told_it_may_never_ask(echo_host: TaskHost):
    reply = await echo_host.call("task-availability", {**PAGE, "origin": "http://example.com"}, options=OPTIONS)
    assert reply["type"] == "error" and reply["error"]["name"] == "NotAllowedError", reply
    assert "only https: sites and http://localhost may ask" in reply["error"]["message"]


async def test_the_granted_top_level_page_is_answered(echo_host: TaskHost):
    assert await echo_host.ok("task-availability", options=OPTIONS) in ("downloadable", "available")
