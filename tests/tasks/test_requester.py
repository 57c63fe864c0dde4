"""Dispatch hands each generation the caller's origin (``Generation.requester``): the local engine
takes its turns between sites and apps by it when several generations decode at once."""

from __future__ import annotations

import pytest

from navllm.providers.echo import EchoConversation
from tests.tasks.conftest import PAGE, TaskHost


@pytest.fixture
def requesters(monkeypatch) -> list[str | None]:
    """Every generation's requester, as the echo backend receives it."""
    seen: list[str | None] = []
    generate = EchoConversation.generate

    def recording(self, request):
        seen.append(request.requester)
        return generate(self, request)

    monkeypatch.setattr(EchoConversation, "generate", recording)
    return seen


async def test_prompts_and_task_runs_carry_the_callers_origin(echo_host: TaskHost, requesters):
    session = (await echo_host.ok("create", options={}))["session"]
    await echo_host.ok("prompt", session=session, input=[{"role": "user", "content": [{"type": "text", "value": "hi"}]}])
    writer = await echo_host.create(kind="writer")
    await echo_host.run(writer["task"], "a note")
    assert requesters == [PAGE["origin"], PAGE["origin"]]
