"""The task APIs on the real default local model (SmolLM2-135M, converted by our converter):
the structure promised holds and the output is sane. Quality is measured elsewhere, not asserted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.tasks.conftest import TaskHost, write_settings
from tests.tasks.test_proofread import apply

DEADLINE = 300.0  # the first create loads the model
ARTICLE = (
    "The city of Lyon opened a new public library on Monday. The building, designed by the architect Marie Dubois, "
    "holds two hundred thousand books and a large reading room for children. The mayor said the library will stay "
    "open until ten in the evening on weekdays, so that students and workers can use it after school and work."
)


@pytest.fixture
async def local_host(installed, navllm_home) -> AsyncIterator[TaskHost]:
    write_settings(navllm_home, providers=[{"name": "local", "kind": "local"}])
    host = TaskHost()
    await host.grant(providers=("local",))
    yield host
    await host.close()


async def test_key_points_summary(local_host: TaskHost):
    created = await local_host.create(kind="summarizer", type="key-points", length="short", deadline=DEADLINE)
    assert created["provider"] == "local" and 0 < created["inputQuota"] < 8192
    measured = await local_host.ok("task-measure", task=created["task"], input=ARTICLE)
    assert 0 < measured < created["inputQuota"]
    result, text = await local_host.run(created["task"], ARTICLE, deadline=DEADLINE)
    print(f"\nkey points:\n{text}")
    assert result == {}
    lines = text.split("\n")
    assert 1 <= len(lines) <= 3 and all(line.startswith("- ") and len(line) > 3 for line in lines)
    rows = [r for r in await local_host.usage() if r["action"] == "summarize"]
    assert rows[0]["outcome"] == "ok" and rows[0]["output_tokens"] > 0


async def test_proofread(local_host: TaskHost):
    created = await local_host.create(kind="proofreader", includeCorrectionTypes=True, deadline=DEADLINE)
    original = "Teh cat sat on teh mat 🐈 and it were happy."
    result, text = await local_host.run(created["task"], original, deadline=DEADLINE)
    print(f"\nproofread: {result}")
    assert text == ""  # the proofreader answers at the end only
    assert result["correctedInput"].strip()
    assert apply(original, result["corrections"]) == result["correctedInput"]
