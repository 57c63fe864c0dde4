"""``navllm bench tasks``'s timed part end to end on the real default model. Speed is never
asserted: every task must run as a page's session runs it (the chat as five turns on one cache,
the extraction as JSON under its schema), replies must be the same every round and with all four
at once, and llama.cpp must be given exactly our work."""

from __future__ import annotations

import json

import numpy as np
import pytest

from navllm.bench import local, workload
from navllm.bench.workload_corpus import RECORD_SCHEMA

pytestmark = pytest.mark.model


def _check(result):
    tasks = result["tasks"]
    assert list(tasks) == list(workload.TASKS)
    assert [t["turns"] for t in tasks.values()] == [1, 1, 1, 5]
    assert tasks["summarise"]["promptTokens"] > 900  # the article is about a thousand tokens
    assert all(t["outputTokens"] > 0 and t["seconds"] > 0 and t["tps"] > 0 for t in tasks.values())
    record = json.loads(tasks["extract"]["sample"])
    assert set(record) == set(RECORD_SCHEMA["required"])
    assert result["sameReplies"], "a reply changed between rounds or beside the other sessions"
    assert result["together"]["tps"] > 0
    table = workload.table(result).splitlines()
    assert [row.split()[0] for row in table[2:6]] == list(workload.TASKS) and table[6].startswith("4 sessions at once")
    return tasks, table


def test_bench_tasks_times_each_task_beside_llama_cpp(smollm2_gguf, monkeypatch):
    if not local._has_llama_cpp():
        pytest.skip("llama-cpp-python is not installed: the peer cannot run")
    monkeypatch.setattr(workload, "CHAT_REPLY", 24)
    result = workload.run(smollm2_gguf, threads=2, rounds=1, log=lambda message: None)

    tasks, table = _check(result)
    for t in tasks.values():
        assert t["ratio"] == t["seconds"] / t["llamaCppSeconds"]
    together = result["together"]
    assert together["llamaCppSerialSeconds"] == workload.SESSIONS * sum(t["llamaCppSeconds"] for t in tasks.values())
    assert together["ratio"] == together["tps"] / together["llamaCppSerialTps"]
    assert table[-2].startswith("mean time ratio over the tasks: ")


def test_bench_tasks_without_llama_cpp_says_so(smollm2_gguf, monkeypatch):
    monkeypatch.setattr(workload, "CHAT_REPLY", 24)
    monkeypatch.setattr(local, "_has_llama_cpp", lambda: False)
    logged: list[str] = []
    result = workload.run(smollm2_gguf, threads=2, rounds=1, log=logged.append)

    tasks, table = _check(result)
    assert result["config"]["peer"] == local.MISSING and any(local.MISSING in m for m in logged)
    assert all(t["llamaCppSeconds"] is None and t["ratio"] is None for t in tasks.values())
    assert all(row.split()[-1] == "missing" for row in table[2:6]) and table[-2] == f"llama.cpp: {local.MISSING}"


class _CountingPeer:
    """The replay's view of llama.cpp: a cache of positions, rewound and fed."""

    def __init__(self) -> None:
        self.cache: list[int] = []
        self.fed = 0

    def start(self, capacity: int) -> None:
        self.cache = []

    def rewind(self, keep: int) -> int:
        del self.cache[keep:]
        return len(self.cache)

    def feed(self, state: None, ids: list[int]) -> np.ndarray:
        self.cache += ids
        self.fed += len(ids)
        return np.zeros(8)


def test_replay_feeds_llama_cpp_what_our_engine_was_fed():
    # Two turns: the second keeps the first's prompt and 3 of its 4 reply positions, as a chat does.
    first = workload.Turn(prompt=[1, 2, 3, 4, 5], cached=0, generated=4)
    second = workload.Turn(prompt=[1, 2, 3, 4, 5, 9, 9, 9, 6, 7], cached=8, generated=3)
    peer = _CountingPeer()
    workload._replay(peer, workload.Served(0.0, [first, second], ["", ""]), ends=[7])  # type: ignore[arg-type]

    # Ours: 5 prompt tokens, 3 reply tokens fed back (the last is never fed), 2 new, 2 reply.
    assert peer.fed == 5 + 3 + 2 + 2
    assert len(peer.cache) == 10 + 2
    assert peer.cache[:5] == [1, 2, 3, 4, 5] and peer.cache[8:10] == [6, 7]
