"""Summarizer's `preference` (the Writing Assistance APIs' PerformancePreference): the host takes
"auto", "speed" and "capability" from a summarizer and refuses anything else, and any other kind
that names it, as a TypeError."""

from __future__ import annotations

import pytest

from tests.tasks.conftest import TaskHost

PREFIX = "Model not available in Chromium\n"


@pytest.mark.parametrize("preference", ["auto", "speed", "capability"])
async def test_a_summarizer_takes_every_preference(echo_host: TaskHost, preference):
    options = {"kind": "summarizer", "type": "tldr", "preference": preference}
    assert await echo_host.ok("task-availability", options=options) == "available"
    created = await echo_host.create(**options)
    assert await echo_host.run(created["task"], "Hello") == ({}, PREFIX + "Hello")


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "summarizer", "preference": "fastest"},
        {"kind": "writer", "preference": "speed"},
        {"kind": "rewriter", "preference": "auto"},
    ],
)
async def test_other_preferences_and_kinds_are_type_errors(echo_host: TaskHost, options):
    for kind in ("task-create", "task-availability"):
        reply = await echo_host.call(kind, options=options)
        assert reply["type"] == "error" and reply["error"]["name"] == "TypeError", reply
